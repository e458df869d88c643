using ReHome.Gateway.Fanout;

namespace ReHome.Gateway.Presence;

/// <summary>
/// Sends <c>agent.thread.presence</c> to a thread's watchers on this gateway, or to named connections, through each
/// connection's own queue in the fan-out: a slow watcher never delays another.
/// </summary>
internal sealed class PresenceSender(ThreadFanout fanout)
{
    public void ToThread(PresenceMessage message) => fanout.SendPresence(message);

    public void ToConnections(IReadOnlyList<string> connectionIds, PresenceMessage message) => fanout.SendPresence(connectionIds, message);
}
