using System.Diagnostics.CodeAnalysis;
using Orleans.Runtime;
using Orleans.Streams;

namespace ReHome.Feed;

/// <summary>
/// The pulling agent's cache of one feed queue, indexed by stream. Orleans'
/// <see cref="Orleans.Providers.Streams.Common.SimpleQueueCache"/> keeps one list per queue, and each subscriber's
/// cursor walks every entry of every stream on that queue to find its own: per token, work grows with the streams that
/// share the queue (at 1,000 streams on 8 queues, its <c>MoveNext</c> was 5.6 % of a silo's profile samples). Here
/// each stream's entries are chained on their own, so a cursor steps from one of its stream's entries to the next.
/// <para>
/// As in Orleans' cache, an entry stays until every cursor of its stream has passed it, and reading pauses when the
/// cache is full. A cursor asked for a position already purged starts at its stream's oldest entry still cached
/// instead of failing: Orleans' cache keeps such a cursor waiting, and then throws
/// <see cref="QueueCacheMissException"/> on every read of the queue, so the agent stops waking the other streams'
/// subscribers (seen after silo restarts). The subscriber misses only what is gone, which the gateways fill from the
/// stream grains.
/// </para>
/// </summary>
/// <remarks>The agent that owns the queue calls its cache from one thread at a time.</remarks>
internal sealed class ThreadFeedCache : IQueueCache
{
    private readonly int _capacity;
    private readonly int _maxAddCount;
    private readonly Dictionary<StreamId, StreamEntries> _streams = [];
    /// <summary>Every entry cached, oldest first: purges go in queue order, whichever stream an entry belongs to.</summary>
    private readonly Queue<Entry> _entries = new();

    public ThreadFeedCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        _capacity = capacity;
        // As Orleans' simple cache: a read adds at most a tenth of the cache.
        _maxAddCount = Math.Max(capacity / 10, 1);
    }

    public int Count => _entries.Count;

    public int GetMaxAddCount() => _maxAddCount;

    public bool IsUnderPressure() => _entries.Count + _maxAddCount > _capacity;

    public void AddToCache(IList<IBatchContainer> messages)
    {
        foreach (var message in messages)
        {
            var entry = EntriesOf(message.StreamId).Append(message);
            _entries.Enqueue(entry);
        }
    }

    /// <summary>Drops the oldest entries that every cursor of their stream has passed, up to the first one still owed.</summary>
    public bool TryPurgeFromCache([MaybeNullWhen(false)] out IList<IBatchContainer> purgedItems)
    {
        List<IBatchContainer>? purged = null;
        while (_entries.TryPeek(out var oldest) && !oldest.Stream.IsOwed(oldest))
        {
            _entries.Dequeue();
            oldest.Stream.DropOldest();
            (purged ??= []).Add(oldest.Batch);
        }

        purgedItems = purged;
        return purged is not null;
    }

    [Obsolete("Use TryGetCacheCursor instead.")]
    public IQueueCacheCursor GetCacheCursor(StreamId streamId, StreamSequenceToken? token) => CursorAt(streamId, token);

    public QueueCacheCursorResult<IQueueCacheCursor> TryGetCacheCursor(StreamId streamId, StreamSequenceToken? token) =>
        QueueCacheCursorResult<IQueueCacheCursor>.FromCursor(CursorAt(streamId, token));

    public QueueCacheCursorResult<IQueueCacheCursor> TryGetCacheCursorAtPosition(StreamId streamId, StreamSubscriptionStartPosition startPosition) =>
        startPosition switch
        {
            StreamSubscriptionStartPosition.Latest => TryGetCacheCursor(streamId, null),
            StreamSubscriptionStartPosition.EarliestAvailable => QueueCacheCursorResult<IQueueCacheCursor>.FromCursor(new Cursor(EntriesOf(streamId), after: null)),
            _ => throw new ArgumentOutOfRangeException(nameof(startPosition), startPosition, "The subscription start position is not defined."),
        };

    /// <summary>
    /// With no token, after the stream's newest entry; with one, at the stream's first entry numbered at or after it
    /// (the oldest cached when the token's own entry was purged), or after the newest when none is.
    /// </summary>
    private Cursor CursorAt(StreamId streamId, StreamSequenceToken? token)
    {
        var stream = EntriesOf(streamId);
        if (token is null)
        {
            return new Cursor(stream, after: stream.Newest);
        }

        Entry? before = null;
        for (var entry = stream.Oldest; entry is not null && entry.Batch.SequenceToken.CompareTo(token) < 0; entry = entry.Next)
        {
            before = entry;
        }

        return new Cursor(stream, before);
    }

    private StreamEntries EntriesOf(StreamId streamId)
    {
        if (!_streams.TryGetValue(streamId, out var stream))
        {
            stream = new StreamEntries(streamId, this);
            _streams.Add(streamId, stream);
        }

        return stream;
    }

    /// <summary>A stream with no entries cached and no cursor goes: nothing would miss it.</summary>
    private void ForgetIfUnused(StreamEntries stream)
    {
        if (stream.Oldest is null && stream.CursorCount == 0)
        {
            _streams.Remove(stream.Id);
        }
    }

    /// <summary>One cached entry, chained to the next entry of its stream.</summary>
    private sealed class Entry(IBatchContainer batch, StreamEntries stream, long number)
    {
        public IBatchContainer Batch { get; } = batch;

        public StreamEntries Stream { get; } = stream;

        /// <summary>Its place in its stream, counted from the stream's first entry cached.</summary>
        public long Number { get; } = number;

        public Entry? Next { get; set; }
    }

    /// <summary>A stream's cached entries, oldest first, and the cursors reading them.</summary>
    private sealed class StreamEntries(StreamId id, ThreadFeedCache cache)
    {
        private readonly List<Cursor> _cursors = [];
        private long _appended;

        public StreamId Id { get; } = id;

        /// <summary>The oldest entry still cached; none when all have been purged.</summary>
        public Entry? Oldest { get; private set; }

        /// <summary>
        /// The newest entry appended, even once purged: entries appended later are chained after it, so a cursor that
        /// read it reaches them.
        /// </summary>
        public Entry? Newest { get; private set; }

        public int CursorCount => _cursors.Count;

        public Entry Append(IBatchContainer batch)
        {
            var entry = new Entry(batch, this, _appended++);
            Newest?.Next = entry;
            Newest = entry;
            Oldest ??= entry;
            return entry;
        }

        public void DropOldest()
        {
            Oldest = Oldest!.Next;
            cache.ForgetIfUnused(this);
        }

        /// <summary>Whether a cursor has yet to pass the entry.</summary>
        public bool IsOwed(Entry entry)
        {
            foreach (var cursor in _cursors)
            {
                if (!cursor.HasPassed(entry))
                {
                    return true;
                }
            }

            return false;
        }

        public void Add(Cursor cursor) => _cursors.Add(cursor);

        public void Remove(Cursor cursor)
        {
            _cursors.Remove(cursor);
            cache.ForgetIfUnused(this);
        }
    }

    /// <summary>
    /// A subscriber's place in one stream: the entry it read last (none: before the stream's oldest cached). Entries
    /// appended later are chained after it, so a cursor at the end needs no refresh when more arrive.
    /// </summary>
    private sealed class Cursor : IQueueCacheCursor
    {
        private readonly StreamEntries _stream;
        private Entry? _last;
        private IBatchContainer? _current;
        private bool _disposed;

        public Cursor(StreamEntries stream, Entry? after)
        {
            _stream = stream;
            _last = after;
            stream.Add(this);
        }

        /// <summary>
        /// An entry read counts as passed, even while its delivery is in flight: the agent retries with the batch it
        /// holds, not from the cache. Only a consumer that answered a delivery with a rewind token would need it again,
        /// and the gateways' subscriptions answer none.
        /// </summary>
        public bool HasPassed(Entry entry) => _last is not null && _last.Number >= entry.Number;

        public IBatchContainer? GetCurrent(out Exception? exception)
        {
            exception = null;
            return _current;
        }

        [Obsolete("Use MoveNextWithResult instead.")]
        public bool MoveNext() => MoveNextWithResult().Kind == QueueCacheCursorMoveResultKind.Success;

        public QueueCacheCursorMoveResult MoveNextWithResult()
        {
            // The entry read last may have been purged since; its chain still leads to the stream's newer entries.
            // With none read, the stream's oldest entry is next (a purge only drops entries every cursor has passed).
            var next = _last is null ? _stream.Oldest : _last.Next;
            if (_disposed || next is null)
            {
                return QueueCacheCursorMoveResult.NoData;
            }

            _last = next;
            _current = next.Batch;
            return QueueCacheCursorMoveResult.Success;
        }

        /// <summary>Nothing to do: entries appended after the cursor's are already in its reach.</summary>
        public void Refresh(StreamSequenceToken token)
        {
        }

        /// <summary>Nothing to record: the feed's receiver keeps no account of delivered entries.</summary>
        public void RecordDeliveryFailure()
        {
        }

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _current = null;
            _stream.Remove(this);
        }
    }
}
