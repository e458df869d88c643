using Orleans.Placement;
using ReHome.Feed;

namespace ReHome.Grains;

/// <summary>
/// One thread-feed queue (see <see cref="IThreadFeedQueueGrain"/>). Placed where it is first called, which is
/// normally the silo whose pulling agent reads it, so the agent's reads, and the writes of that silo's streams, use
/// its <see cref="ThreadFeedQueue"/> directly (<see cref="LocalThreadFeedQueues"/>); other processes call it.
/// </summary>
[GrainType("rehome-feed-queue"), PreferLocalPlacement]
internal sealed class ThreadFeedQueueGrain : Grain, IThreadFeedQueueGrain
{
    private readonly LocalThreadFeedQueues _local;
    private readonly string _key;
    private readonly ThreadFeedQueue _queue;

    public ThreadFeedQueueGrain(TimeProvider time, LocalThreadFeedQueues local)
    {
        _local = local;
        _key = this.GetPrimaryKeyString();
        _queue = new ThreadFeedQueue(_key, time);
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _local.Add(_key, _queue);
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // What is still queued goes with the activation, as it always did; the gateways fill such gaps from the
        // stream grains. Local writers now call the grain, which activates anew.
        _local.Remove(_key, _queue);
        _queue.Close();
        return Task.CompletedTask;
    }

    public Task Enqueue(ThreadFeedEntry[] entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        return _queue.TryEnqueue(entries)
            ? Task.CompletedTask
            : throw new InvalidOperationException($"Thread feed queue {_key} is closing; retry.");
    }

    public Task<ThreadFeedRead> Dequeue(int maxCount, TimeSpan wait) => _queue.Dequeue(maxCount, wait, CancellationToken.None);
}
