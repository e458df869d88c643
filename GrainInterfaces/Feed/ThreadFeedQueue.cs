namespace ReHome.Feed;

/// <summary>
/// The entries of one thread-feed queue and its one waiting read: what a <see cref="IThreadFeedQueueGrain"/> holds.
/// Thread-safe, because writers and the pulling agent in the grain's own silo use it directly
/// (<see cref="LocalThreadFeedQueues"/>) while the grain's turns serve the other processes.
/// </summary>
public sealed class ThreadFeedQueue
{
    /// <summary>Entries held at most; a queue whose agent cannot keep up refuses more, and producers retry.</summary>
    public const int MaxQueued = 65_536;

    private static readonly ThreadFeedEntry[] None = [];

    private readonly object _lock = new();
    private readonly Queue<ThreadFeedEntry> _entries = new();
    private readonly string _name;
    private readonly TimeProvider _time;

    /// <summary>Numbers keep rising across activations, as the agent's cache expects of a queue.</summary>
    private long _nextSequence;

    /// <summary>The waiting read, if any: completed with true when entries arrive, false when released.</summary>
    private TaskCompletionSource<bool>? _waiter;

    /// <summary>When the waiting read gives up, as a <see cref="TimeProvider"/> timestamp.</summary>
    private long _waiterDeadline;

    /// <summary>
    /// Releases the waiting read when its wait passes. One timer per queue, moved by each read that waits: a timed
    /// wait per read (<see cref="Task.WaitAsync(TimeSpan, TimeProvider)"/>) made a timer and a promise on every read,
    /// 7 % of a silo's allocation under load.
    /// </summary>
    private ITimer? _giveUp;

    private bool _closed;

    public ThreadFeedQueue(string name, TimeProvider time)
    {
        _name = name;
        _time = time;
        _nextSequence = time.GetUtcNow().UtcTicks;
    }

    /// <summary>Queues the entries and wakes the waiting read; false once closed (the caller then calls the grain).</summary>
    /// <exception cref="InvalidOperationException">The queue is full.</exception>
    public bool TryEnqueue(ReadOnlySpan<ThreadFeedEntry> entries)
    {
        TaskCompletionSource<bool>? waiter = null;
        lock (_lock)
        {
            if (_closed)
            {
                return false;
            }

            if (_entries.Count + entries.Length > MaxQueued)
            {
                throw new InvalidOperationException($"Thread feed queue {_name} is full ({MaxQueued} entries); retry later.");
            }

            foreach (var entry in entries)
            {
                _entries.Enqueue(entry);
            }

            if (entries.Length > 0)
            {
                (waiter, _waiter) = (_waiter, null);
            }
        }

        waiter?.TrySetResult(true);
        return true;
    }

    /// <summary>
    /// Takes up to <paramref name="maxCount"/> entries (all when negative), waiting up to <paramref name="wait"/> for
    /// one when there are none. Only one agent reads a queue: a read releases an older one still waiting, whose agent
    /// gave the queue up. Returns no entries when the wait passes, the read is released or cancelled, or the queue closed.
    /// </summary>
    public async Task<ThreadFeedRead> Dequeue(int maxCount, TimeSpan wait, CancellationToken cancellationToken)
    {
        TaskCompletionSource<bool>? older;
        TaskCompletionSource<bool>? waiter = null;
        lock (_lock)
        {
            (older, _waiter) = (_waiter, null);
            if (_entries.Count == 0 && wait > TimeSpan.Zero && !_closed)
            {
                waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiter = waiter;
                _waiterDeadline = _time.GetTimestamp() + (long)(wait.TotalSeconds * _time.TimestampFrequency);
                _giveUp ??= _time.CreateTimer(static queue => ((ThreadFeedQueue)queue!).GiveUp(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _giveUp.Change(wait, Timeout.InfiniteTimeSpan);
            }
        }

        older?.TrySetResult(false);
        if (waiter is not null)
        {
            // True when entries arrived; false when the wait passed, or the read was released or cancelled. The rest
            // of the read runs on the thread pool, not on the writer's thread nor a grain's: the queue locks instead.
            bool arrived;
            using (cancellationToken.UnsafeRegister(static w => ((TaskCompletionSource<bool>)w!).TrySetResult(false), waiter))
            {
                arrived = await waiter.Task.ConfigureAwait(false);
            }

            if (!arrived)
            {
                lock (_lock)
                {
                    if (_waiter == waiter)
                    {
                        _waiter = null;
                    }

                    return new ThreadFeedRead(_nextSequence, None);
                }
            }
        }

        lock (_lock)
        {
            var count = maxCount < 0 ? _entries.Count : Math.Min(maxCount, _entries.Count);
            var entries = count == 0 ? None : new ThreadFeedEntry[count];
            for (var i = 0; i < count; i++)
            {
                entries[i] = _entries.Dequeue();
            }

            var first = _nextSequence;
            _nextSequence += count;
            return new ThreadFeedRead(first, entries);
        }
    }

    /// <summary>Refuses further entries and releases the waiting read: the grain's activation is going.</summary>
    public void Close()
    {
        TaskCompletionSource<bool>? waiter;
        lock (_lock)
        {
            _closed = true;
            (waiter, _waiter) = (_waiter, null);
            _giveUp?.Dispose();
        }

        waiter?.TrySetResult(false);
    }

    /// <summary>The timer's turn: releases the waiting read if its wait has passed, or waits for what is left of it.</summary>
    private void GiveUp()
    {
        TaskCompletionSource<bool>? expired;
        lock (_lock)
        {
            if (_waiter is null || _closed)
            {
                return;
            }

            var left = _waiterDeadline - _time.GetTimestamp();
            if (left > 0)
            {
                // A newer read moved the deadline after this firing was due.
                _giveUp!.Change(TimeSpan.FromSeconds((double)left / _time.TimestampFrequency), Timeout.InfiniteTimeSpan);
                return;
            }

            (expired, _waiter) = (_waiter, null);
        }

        expired.TrySetResult(false);
    }
}
