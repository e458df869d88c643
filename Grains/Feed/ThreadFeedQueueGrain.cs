using Orleans.Placement;
using ReHome.Feed;

namespace ReHome.Grains;

/// <summary>
/// One thread-feed queue (see <see cref="IThreadFeedQueueGrain"/>). Placed where it is first called, which is
/// normally the silo whose pulling agent reads it, so the agent's waiting read is a local call.
/// </summary>
[GrainType("rehome-feed-queue"), PreferLocalPlacement]
internal sealed class ThreadFeedQueueGrain(TimeProvider time) : Grain, IThreadFeedQueueGrain
{
    /// <summary>Entries held at most; a queue whose agent cannot keep up refuses more, and producers retry.</summary>
    private const int MaxQueued = 65_536;

    private static readonly ThreadFeedEntry[] None = [];

    private readonly Queue<ThreadFeedEntry> _queue = new();

    /// <summary>Numbers keep rising across activations, as the agent's cache expects of a queue.</summary>
    private long _nextSequence = time.GetUtcNow().UtcTicks;

    /// <summary>The waiting read, if any: completed with true when entries arrive, false when a newer read replaces it.</summary>
    private TaskCompletionSource<bool>? _waiter;

    public Task Enqueue(ThreadFeedEntry[] entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (_queue.Count + entries.Length > MaxQueued)
        {
            throw new InvalidOperationException($"Thread feed queue {this.GetPrimaryKeyString()} is full ({MaxQueued} entries); retry later.");
        }

        foreach (var entry in entries)
        {
            _queue.Enqueue(entry);
        }

        if (entries.Length > 0 && _waiter is { } waiter)
        {
            _waiter = null;
            waiter.TrySetResult(true);
        }

        return Task.CompletedTask;
    }

    public async Task<ThreadFeedRead> Dequeue(int maxCount, TimeSpan wait)
    {
        // Only one agent reads a queue; an older read still waiting is one whose agent gave the queue up.
        _waiter?.TrySetResult(false);
        _waiter = null;
        if (_queue.Count == 0 && wait > TimeSpan.Zero)
        {
            var waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiter = waiter;
            using var timeout = new CancellationTokenSource();
            var delay = Task.Delay(wait, time, timeout.Token);
            if (await Task.WhenAny(waiter.Task, delay) == delay)
            {
                if (_waiter == waiter)
                {
                    _waiter = null;
                }

                return new ThreadFeedRead(_nextSequence, None);
            }

            timeout.Cancel();
            if (!waiter.Task.Result)
            {
                return new ThreadFeedRead(_nextSequence, None);
            }
        }

        var count = maxCount < 0 ? _queue.Count : Math.Min(maxCount, _queue.Count);
        var entries = count == 0 ? None : new ThreadFeedEntry[count];
        for (var i = 0; i < count; i++)
        {
            entries[i] = _queue.Dequeue();
        }

        var first = _nextSequence;
        _nextSequence += count;
        return new ThreadFeedRead(first, entries);
    }
}
