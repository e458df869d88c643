namespace ReHome.Producer;

/// <summary>
/// Items queued from any thread and sent in order by one sender at a time: while a send is in flight, new items
/// queue, and the next send takes them all (up to <paramref name="maxBatch"/>). Whether a sender runs is decided
/// under the gate: a sender's task is still incomplete for a moment after it found the queue empty, so its status
/// cannot tell an enqueuer whether to start another (the lost wake-up fixed in de1261f).
/// </summary>
/// <param name="send">Sends a batch and completes each item's own outcome; it must not throw.</param>
internal sealed class SendQueue<T>(Func<List<T>, Task> send, int maxBatch)
{
    private readonly object _gate = new();
    private readonly Queue<T> _queue = new();
    private Task _sender = Task.CompletedTask;
    private bool _sending;

    public void Enqueue(T item)
    {
        lock (_gate)
        {
            _queue.Enqueue(item);
            if (!_sending)
            {
                _sending = true;
                _sender = Task.Run(SendQueued);
            }
        }
    }

    /// <summary>Completes once every item queued so far has been sent (or has failed).</summary>
    public async Task Drain()
    {
        while (true)
        {
            Task sender;
            lock (_gate)
            {
                if (!_sending)
                {
                    return;
                }

                sender = _sender;
            }

            await sender;
        }
    }

    private async Task SendQueued()
    {
        while (true)
        {
            List<T> batch;
            lock (_gate)
            {
                if (_queue.Count == 0)
                {
                    _sending = false;
                    return;
                }

                batch = new List<T>(Math.Min(_queue.Count, maxBatch));
                while (batch.Count < maxBatch && _queue.TryDequeue(out var item))
                {
                    batch.Add(item);
                }
            }

            await send(batch);
        }
    }
}
