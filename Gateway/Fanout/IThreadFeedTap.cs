namespace ReHome.Gateway.Fanout;

/// <summary>
/// A second delivery path for a thread's messages beside its SignalR group: the Pusher endpoint's connections.
/// It sees exactly what the group gets (deduped, gaps filled, in order), called under the thread channel's gate,
/// so it must not block.
/// </summary>
/// <remarks>
/// A temporary hook: when the per-connection fan-out lands, Pusher connections join it as connections of their
/// own and this interface goes away (see <c>Gateway/Pusher/FanoutThreadSubscriptions.cs</c>).
/// </remarks>
internal interface IThreadFeedTap
{
    void Publish(string threadId, ReadOnlySpan<TokenMessage> messages);
}
