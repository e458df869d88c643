using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Orleans.Streams;
using ReHome.Feed;

namespace ReHome.Tests.Cluster;

/// <summary>The pulling agent's per-queue cache, driven as the agent drives it: add a read, move cursors, purge.</summary>
public sealed class ThreadFeedCacheTests
{
    private static readonly StreamId A = StreamId.Create("thread", "a");
    private static readonly StreamId B = StreamId.Create("thread", "b");

    private readonly ThreadFeedCache _cache = new(capacity: 100);
    private readonly Dictionary<string, StreamSequenceToken> _tokens = [];
    private long _nextNumber = 1_000;

    [Fact]
    public void A_cursor_reads_only_its_own_streams_entries_in_queue_order()
    {
        using var cursor = Cursor(A, token: null);
        Add((A, "a1"), (B, "b1"), (A, "a2"), (B, "b2"), (A, "a3"));

        Assert.Equal(["a1", "a2", "a3"], ReadAll(cursor));
    }

    [Fact]
    public void A_cursor_at_the_end_sees_entries_added_after_it_ran_dry_with_no_refresh()
    {
        using var cursor = Cursor(A, token: null);
        Add((A, "a1"));
        Assert.Equal(["a1"], ReadAll(cursor));

        Add((B, "b1"), (A, "a2"));
        Assert.Equal(["a2"], ReadAll(cursor));
    }

    [Fact]
    public void With_no_token_a_cursor_starts_after_what_is_already_cached()
    {
        Add((A, "old"));
        using var cursor = Cursor(A, token: null);
        Add((A, "new"));

        Assert.Equal(["new"], ReadAll(cursor));
    }

    [Fact]
    public void With_a_token_a_cursor_starts_at_that_entry()
    {
        Add((A, "a1"), (B, "b1"), (A, "a2"), (A, "a3"));
        
        using var cursor = Cursor(A, _tokens["a2"]);
        Assert.Equal(["a2", "a3"], ReadAll(cursor));
    }

    [Fact]
    public void Entries_stay_until_every_cursor_of_their_stream_has_passed_them()
    {
        using var fast = Cursor(A, token: null);
        using var slow = Cursor(A, token: null);
        Add((A, "a1"), (A, "a2"));
        ReadAll(fast);

        Assert.False(_cache.TryPurgeFromCache(out _));
        Assert.Equal(2, _cache.Count);

        Assert.Equal(QueueCacheCursorMoveResultKind.Success, slow.MoveNextWithResult().Kind);
        Assert.True(_cache.TryPurgeFromCache(out var purged));
        Assert.Equal(["a1"], Texts(purged));
        Assert.Equal(["a2"], ReadAll(slow));
    }

    [Fact]
    public void A_purge_stops_at_the_oldest_entry_still_owed_even_if_later_ones_are_not()
    {
        using var a = Cursor(A, token: null);
        Add((A, "a1"), (B, "b1"));

        Assert.False(_cache.TryPurgeFromCache(out _));
        ReadAll(a);
        Assert.True(_cache.TryPurgeFromCache(out var purged));
        Assert.Equal(["a1", "b1"], Texts(purged));
        Assert.Equal(0, _cache.Count);
    }

    [Fact]
    public void A_cursor_whose_last_entry_was_purged_still_reaches_the_entries_added_after()
    {
        using var cursor = Cursor(A, token: null);
        Add((A, "a1"));
        ReadAll(cursor);
        Assert.True(_cache.TryPurgeFromCache(out _));

        Add((A, "a2"));
        Assert.Equal(["a2"], ReadAll(cursor));
    }

    [Fact]
    public void A_token_already_purged_starts_the_cursor_at_its_streams_oldest_cached_entry()
    {
        using var holder = Cursor(A, token: null);
        Add((A, "a1"), (A, "a2"));
        Assert.Equal(QueueCacheCursorMoveResultKind.Success, holder.MoveNextWithResult().Kind);
        Assert.True(_cache.TryPurgeFromCache(out var purged));
        Assert.Equal(["a1"], Texts(purged));
        Add((A, "a3"));

        using var late = Cursor(A, _tokens["a1"]);
        Assert.Equal(["a2", "a3"], ReadAll(late));
    }

    [Fact]
    public void Earliest_available_starts_at_the_streams_oldest_cached_entry()
    {
        Add((A, "a1"), (B, "b1"), (A, "a2"));

        var result = _cache.TryGetCacheCursorAtPosition(A, StreamSubscriptionStartPosition.EarliestAvailable);
        using var cursor = result.Cursor!;
        Assert.Equal(["a1", "a2"], ReadAll(cursor));
    }

    [Fact]
    public void A_disposed_cursor_holds_nothing_back_and_reads_nothing()
    {
        var cursor = Cursor(A, token: null);
        Add((A, "a1"));
        cursor.Dispose();

        Assert.True(_cache.TryPurgeFromCache(out var purged));
        Assert.Equal(["a1"], Texts(purged));
        Add((A, "a2"));
        Assert.Equal(QueueCacheCursorMoveResultKind.NoData, cursor.MoveNextWithResult().Kind);
    }

    [Fact]
    public void The_cache_is_under_pressure_when_one_more_read_could_overfill_it()
    {
        using var stalled = Cursor(A, token: null);
        var room = 100 - _cache.GetMaxAddCount();
        for (var i = 0; i < room; i++)
        {
            Add((A, $"a{i}"));
        }

        Assert.False(_cache.IsUnderPressure());
        Add((A, "one more"));
        Assert.True(_cache.IsUnderPressure());

        ReadAll(stalled);
        Assert.True(_cache.TryPurgeFromCache(out _));
        Assert.False(_cache.IsUnderPressure());
    }

    private IQueueCacheCursor Cursor(StreamId stream, StreamSequenceToken? token)
    {
        var result = _cache.TryGetCacheCursor(stream, token);
        Assert.Equal(QueueCacheCursorResultKind.Success, result.Kind);
        return result.Cursor!;
    }

    /// <summary>One read of the queue: the entries numbered in order, as the receiver numbers them.</summary>
    private void Add(params (StreamId Stream, string Text)[] entries)
    {
        var batches = new List<IBatchContainer>();
        foreach (var (stream, text) in entries)
        {
            var token = new EventSequenceTokenV2(_nextNumber++);
            _tokens[text] = token;
            batches.Add(new ThreadFeedBatch(new ThreadFeedEntry(stream, [text], RequestContext: null), token));
        }

        _cache.AddToCache(batches);
    }

    private static List<string> ReadAll(IQueueCacheCursor cursor)
    {
        var texts = new List<string>();
        while (cursor.MoveNextWithResult().Kind == QueueCacheCursorMoveResultKind.Success)
        {
            texts.Add(Text(cursor.GetCurrent(out _)!));
        }

        return texts;
    }

    private static string Text(IBatchContainer batch) => (string)((ThreadFeedBatch)batch).Entry.Events[0];

    private static List<string> Texts(IList<IBatchContainer> batches) => [.. batches.Select(Text)];
}
