namespace ReHome;

/// <summary>
/// The gateway's SignalR contract as both sides spell it: the hub path, the methods a client calls and the events
/// it receives. The only place these names are written; the gateway, the smoke command, the benchmark and the
/// tests all use it (the browser client mirrors it in JavaScript).
/// </summary>
public static class HubContract
{
    public const string Path = "/hubs/agent";

    /// <summary><c>JoinThread(threadId)</c> → <see cref="ThreadStream"/>[]; refused with <c>forbidden</c>.</summary>
    public const string JoinThread = "JoinThread";

    /// <summary><c>LeaveThread(threadId)</c>.</summary>
    public const string LeaveThread = "LeaveThread";

    /// <summary><c>GetTokens(streamId, afterSequence)</c> → <see cref="TokenPageMessage"/>.</summary>
    public const string GetTokens = "GetTokens";

    /// <summary>
    /// <c>CancelStream(streamId, reason?)</c> → <see cref="CancelStreamResult"/>: stops a stream for everyone watching it;
    /// allowed to anyone who may watch the stream's thread.
    /// </summary>
    public const string CancelStream = "CancelStream";

    /// <summary><c>GetPresence(threadId)</c> → <see cref="PresenceMessage"/>: who is watching the thread now.</summary>
    public const string GetPresence = "GetPresence";

    /// <summary>One <see cref="TokenMessage"/>: a token, or a stream's done event.</summary>
    public const string TokenEvent = "agent.thread.token";

    /// <summary>An array of <see cref="TokenMessage"/>, in order: what queued while the previous send was in flight.</summary>
    public const string TokensEvent = "agent.thread.tokens";

    /// <summary>A <see cref="PresenceMessage"/>: sent to a connection when it joins a thread, and to all its watchers on a change.</summary>
    public const string PresenceEvent = "agent.thread.presence";
}
