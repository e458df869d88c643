using Microsoft.AspNetCore.SignalR;

namespace ReHome.Gateway.Presence;

/// <summary>Sends <c>agent.thread.presence</c> to a thread's watchers on this gateway, or to named connections.</summary>
internal sealed class PresenceSender(IHubClients clients, Func<string, string> groupOfThread)
{
    public Task ToThread(string threadId, PresenceMessage message) =>
        clients.Group(groupOfThread(threadId)).SendAsync(HubContract.PresenceEvent, message);

    public Task ToConnections(IReadOnlyList<string> connectionIds, PresenceMessage message) =>
        clients.Clients(connectionIds).SendAsync(HubContract.PresenceEvent, message);
}
