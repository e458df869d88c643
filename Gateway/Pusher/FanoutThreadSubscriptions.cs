using ReHome.Gateway.Fanout;

namespace ReHome.Gateway.Pusher;

/// <summary>
/// Phase-1 wiring of <see cref="IThreadSubscriptions"/> onto today's <see cref="ThreadFanout"/>: the reference-counted
/// <see cref="ThreadFanout.Join"/>/<see cref="ThreadFanout.Leave"/> that hub connections use, plus the
/// <see cref="IThreadFeedTap"/> hook through which the thread's group sender also hands its messages to
/// <see cref="PusherFeed"/>.
/// </summary>
/// <remarks>
/// When the per-connection fan-out lands, this class is the one to replace: join the connection to the new
/// fan-out as a connection of its own (its bounded queue is already <see cref="PusherConnection"/>'s), and drop
/// the tap and <see cref="PusherFeed"/>.
/// </remarks>
internal sealed class FanoutThreadSubscriptions(ThreadFanout fanout, PusherFeed feed) : IThreadSubscriptions
{
    public async Task Join(string threadId, IThreadSink sink)
    {
        await fanout.Join(threadId);
        feed.Add(threadId, sink);
    }

    public async Task Leave(string threadId, IThreadSink sink)
    {
        feed.Remove(threadId, sink);
        await fanout.Leave(threadId);
    }
}
