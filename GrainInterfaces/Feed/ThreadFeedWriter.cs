namespace ReHome.Feed;

/// <summary>
/// Sends one process's entries for one feed relay, one call at a time, with adaptive batching: a lone entry goes
/// at once, and entries that arrive while a call is in flight go together in the next one. Many streams of one
/// relay then share a call under load, with no added delay when idle. Each entry's task completes when its call does.
/// </summary>
internal sealed class ThreadFeedWriter(IThreadFeedRelayGrain relay, int maxEntriesPerCall)
{
    private readonly object _lock = new();
    private List<(ThreadFeedEntry Entry, TaskCompletionSource Queued)> _waiting = [];
    private bool _sending;

    public Task Write(ThreadFeedEntry entry)
    {
        lock (_lock)
        {
            if (_sending)
            {
                var queued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Add((entry, queued));
                return queued.Task;
            }

            _sending = true;
        }

        return SendAlone(entry);
    }

    private async Task SendAlone(ThreadFeedEntry entry)
    {
        try
        {
            await relay.Publish([entry]).ConfigureAwait(false);
        }
        finally
        {
            // Off the producer's scheduler from here: the entries that queued meanwhile belong to other streams.
            _ = SendWaiting();
        }
    }

    private async Task SendWaiting()
    {
        while (true)
        {
            List<(ThreadFeedEntry Entry, TaskCompletionSource Queued)> batch;
            lock (_lock)
            {
                if (_waiting.Count == 0)
                {
                    _sending = false;
                    return;
                }

                if (_waiting.Count <= maxEntriesPerCall)
                {
                    batch = _waiting;
                    _waiting = [];
                }
                else
                {
                    batch = _waiting.GetRange(0, maxEntriesPerCall);
                    _waiting.RemoveRange(0, maxEntriesPerCall);
                }
            }

            var entries = new ThreadFeedEntry[batch.Count];
            for (var i = 0; i < entries.Length; i++)
            {
                entries[i] = batch[i].Entry;
            }

            try
            {
                await relay.Publish(entries).ConfigureAwait(false);
                foreach (var (_, queued) in batch)
                {
                    queued.TrySetResult();
                }
            }
            catch (Exception ex)
            {
                // The producers retry their own entries (the stream grain's publisher does).
                foreach (var (_, queued) in batch)
                {
                    queued.TrySetException(ex);
                }
            }
        }
    }
}
