using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace ReHome.Feed;

/// <summary>
/// A pulling agent's reader of one feed queue. Each read waits at the queue grain until an entry arrives (or
/// <see cref="ThreadFeedOptions.ReadWait"/> passes), and the agent reads again at once while entries keep coming,
/// so delivery never waits for the agent's timer. When the queue's grain is active in this silo, the read goes to
/// its <see cref="ThreadFeedQueue"/> directly (<paramref name="local"/>), without a grain call.
/// </summary>
internal sealed class ThreadFeedReceiver(IThreadFeedQueueGrain queue, Func<ThreadFeedQueue?>? local, TimeSpan wait) : IQueueAdapterReceiver
{
    public Task Initialize(TimeSpan timeout) => Task.CompletedTask;

    public Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount) => GetQueueMessagesAsync(maxCount, CancellationToken.None);

    public async Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount, CancellationToken cancellationToken)
    {
        // On shutdown the agent stops waiting; a newer reader makes the grain release this read empty-handed.
        ThreadFeedRead read;
        try
        {
            read = local?.Invoke() is { } here
                ? await here.Dequeue(maxCount, wait, cancellationToken).ConfigureAwait(false)
                : await queue.Dequeue(maxCount, wait).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The agent is stopping: an empty read, as after a wait with no entry. Thrown, Orleans logs every stopping
            // agent's read as an error.
            return [];
        }

        var batches = new IBatchContainer[read.Entries.Length];
        for (var i = 0; i < batches.Length; i++)
        {
            batches[i] = new ThreadFeedBatch(read.Entries[i], new EventSequenceTokenV2(read.FirstSequence + i));
        }

        return batches;
    }

    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages) => Task.CompletedTask;

    public Task Shutdown(TimeSpan timeout) => Task.CompletedTask;
}
