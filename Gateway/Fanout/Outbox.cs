namespace ReHome.Gateway.Fanout;

/// <summary>
/// What waits for one connection's socket, bounded by a number of batches. A batch that arrives at a full outbox
/// cuts it: every queued batch is dropped and replaced by one <see cref="BehindMessage"/> per stream they carried,
/// naming the last sequence the connection was sent of it; the connection fetches the rest with <c>GetTokens</c>
/// while live messages continue. Notices are few (one per stream, the latest presence per thread) and never cut.
/// </summary>
/// <remarks>Not thread-safe: its <see cref="Viewer"/>'s lock guards it.</remarks>
internal sealed class Outbox(int limit)
{
    private Queue<Outgoing> _queue = new();
    private int _batches;

    public int Count => _queue.Count;

    /// <summary>Queues an item.</summary>
    /// <returns>True when the outbox was full and was cut: the connection is behind.</returns>
    public bool Add(Outgoing item)
    {
        if (item.Batch is { } batch)
        {
            if (_batches >= limit)
            {
                Cut(batch);
                return true;
            }

            _batches++;
        }
        else if (item.Presence is { } presence)
        {
            // Only the newest presence of a thread matters; one waiting here is replaced.
            RemoveWhere(queued => queued.Presence?.ThreadId == presence.ThreadId);
        }

        _queue.Enqueue(item);
        return false;
    }

    public bool TryTake(out Outgoing item)
    {
        if (!_queue.TryDequeue(out item))
        {
            return false;
        }

        if (item.Batch is not null)
        {
            _batches--;
        }

        return true;
    }

    /// <summary>Drops everything queued for a thread the connection no longer watches.</summary>
    public void RemoveThread(string threadId) => RemoveWhere(item => item.ThreadId == threadId);

    private void RemoveWhere(Func<Outgoing, bool> drop)
    {
        if (_queue.Count == 0)
        {
            return;
        }

        var kept = new Queue<Outgoing>(_queue.Count);
        _batches = 0;
        foreach (var item in _queue)
        {
            if (!drop(item))
            {
                kept.Enqueue(item);
                _batches += item.Batch is null ? 0 : 1;
            }
        }

        _queue = kept;
    }

    public void Clear()
    {
        _queue.Clear();
        _batches = 0;
    }

    private void Cut(OutboundBatch arriving)
    {
        var lastSent = new Dictionary<(string Thread, string Stream), long>();
        var notices = new Queue<Outgoing>();
        foreach (var item in _queue)
        {
            if (item.Batch is { } batch)
            {
                Note(lastSent, batch);
            }
            else if (item.Behind is { } behind)
            {
                Note(lastSent, behind.ThreadId, behind.StreamId, behind.LastSequence);
            }
            else
            {
                notices.Enqueue(item);
            }
        }

        Note(lastSent, arriving);
        foreach (var ((thread, stream), last) in lastSent)
        {
            notices.Enqueue(Outgoing.Of(new BehindMessage(thread, stream, last)));
        }

        _queue = notices;
        _batches = 0;
    }

    private static void Note(Dictionary<(string, string), long> lastSent, OutboundBatch batch)
    {
        foreach (var message in batch.Messages)
        {
            // A dropped token: the one before it was the last sent. A dropped done event: its last token may have gone out.
            Note(lastSent, batch.ThreadId, message.StreamId, message.Done ? message.Sequence : message.Sequence - 1);
        }
    }

    private static void Note(Dictionary<(string, string), long> lastSent, string threadId, string streamId, long last)
    {
        if (!lastSent.TryGetValue((threadId, streamId), out var known) || last < known)
        {
            lastSent[(threadId, streamId)] = last;
        }
    }
}
