using Microsoft.Extensions.Time.Testing;
using Orleans.Runtime;
using ReHome.Feed;

namespace ReHome.Tests.Cluster;

/// <summary>
/// A feed queue as its grain and the same silo's writers and pulling agent use it, from several threads at once: a
/// waiting read wakes on an entry, a newer read or closing releases it, and numbers keep rising.
/// </summary>
public sealed class ThreadFeedQueueTests
{
    private static readonly TimeSpan LongWait = TimeSpan.FromMinutes(1);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddDays(1));
    private readonly ThreadFeedQueue _queue;

    public ThreadFeedQueueTests() => _queue = new ThreadFeedQueue("test/0", _time);

    [Fact]
    public async Task A_waiting_read_returns_the_entries_as_soon_as_they_are_queued()
    {
        var read = _queue.Dequeue(-1, LongWait, CancellationToken.None);
        Assert.False(read.IsCompleted);

        Assert.True(_queue.TryEnqueue([Entry("a"), Entry("b")]));

        var result = await read.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["a", "b"], Texts(result));
    }

    [Fact]
    public async Task Reads_number_entries_consecutively_and_take_at_most_the_count_asked()
    {
        _queue.TryEnqueue([Entry("a"), Entry("b"), Entry("c")]);

        var first = await _queue.Dequeue(2, TimeSpan.Zero, CancellationToken.None);
        var second = await _queue.Dequeue(2, TimeSpan.Zero, CancellationToken.None);

        Assert.Equal(["a", "b"], Texts(first));
        Assert.Equal(["c"], Texts(second));
        Assert.Equal(first.FirstSequence + 2, second.FirstSequence);
    }

    [Fact]
    public async Task A_read_whose_wait_passes_returns_nothing_and_the_next_entry_waits_for_the_next_read()
    {
        var read = _queue.Dequeue(-1, TimeSpan.FromSeconds(1), CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty((await read.WaitAsync(TimeSpan.FromSeconds(10))).Entries);

        _queue.TryEnqueue([Entry("a")]);
        Assert.Equal(["a"], Texts(await _queue.Dequeue(-1, LongWait, CancellationToken.None)));
    }

    [Fact]
    public async Task A_newer_read_waits_its_own_full_wait_and_then_returns_nothing()
    {
        var older = _queue.Dequeue(-1, TimeSpan.FromSeconds(1), CancellationToken.None);
        _time.Advance(TimeSpan.FromMilliseconds(500));
        var newer = _queue.Dequeue(-1, TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.Empty((await older.WaitAsync(TimeSpan.FromSeconds(10))).Entries);

        // The older read's wait would end here; the newer one's has half a second left.
        _time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.False(newer.IsCompleted);

        _time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Empty((await newer.WaitAsync(TimeSpan.FromSeconds(10))).Entries);
    }

    [Fact]
    public async Task A_newer_read_releases_the_older_one_empty_handed_and_gets_the_entries()
    {
        var older = _queue.Dequeue(-1, LongWait, CancellationToken.None);
        var newer = _queue.Dequeue(-1, LongWait, CancellationToken.None);
        Assert.Empty((await older.WaitAsync(TimeSpan.FromSeconds(10))).Entries);

        _queue.TryEnqueue([Entry("a")]);
        Assert.Equal(["a"], Texts(await newer.WaitAsync(TimeSpan.FromSeconds(10))));
    }

    [Fact]
    public async Task A_cancelled_read_returns_nothing_and_leaves_the_entries_for_the_next()
    {
        using var stop = new CancellationTokenSource();
        var read = _queue.Dequeue(-1, LongWait, stop.Token);
        await stop.CancelAsync();
        Assert.Empty((await read.WaitAsync(TimeSpan.FromSeconds(10))).Entries);

        _queue.TryEnqueue([Entry("a")]);
        Assert.Equal(["a"], Texts(await _queue.Dequeue(-1, TimeSpan.Zero, CancellationToken.None)));
    }

    [Fact]
    public async Task Closing_releases_the_waiting_read_and_refuses_entries_so_writers_call_the_grain()
    {
        var read = _queue.Dequeue(-1, LongWait, CancellationToken.None);

        _queue.Close();

        Assert.Empty((await read.WaitAsync(TimeSpan.FromSeconds(10))).Entries);
        Assert.False(_queue.TryEnqueue([Entry("a")]));
        Assert.Empty((await _queue.Dequeue(-1, LongWait, CancellationToken.None)).Entries);
    }

    [Fact]
    public async Task A_full_queue_refuses_the_whole_batch_with_a_clear_error_and_keeps_what_it_held()
    {
        _queue.TryEnqueue([.. Enumerable.Range(0, ThreadFeedQueue.MaxQueued).Select(i => Entry($"e{i}"))]);

        var error = Assert.Throws<InvalidOperationException>(() => _queue.TryEnqueue([Entry("over")]));
        Assert.Contains("test/0 is full", error.Message);

        var all = await _queue.Dequeue(-1, TimeSpan.Zero, CancellationToken.None);
        Assert.Equal(ThreadFeedQueue.MaxQueued, all.Entries.Length);
        Assert.Equal("e0", Texts(all)[0]);
    }

    [Fact]
    public async Task Entries_queued_from_many_threads_while_one_agent_reads_all_arrive_once()
    {
        const int writers = 4, perWriter = 2_000;
        var received = new List<string>();
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            while (received.Count < writers * perWriter)
            {
                received.AddRange(Texts(await _queue.Dequeue(100, LongWait, stop.Token)));
            }
        });

        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < perWriter; i++)
            {
                Assert.True(_queue.TryEnqueue([Entry($"{w}:{i}")]));
            }
        })));
        await reader.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(writers * perWriter, received.Distinct().Count());
        for (var w = 0; w < writers; w++)
        {
            // Each writer's entries in the order it queued them.
            var own = received.Where(t => t.StartsWith($"{w}:", StringComparison.Ordinal)).Select(t => int.Parse(t[2..])).ToList();
            Assert.Equal(Enumerable.Range(0, perWriter), own);
        }
    }

    private static ThreadFeedEntry Entry(string text) => new(StreamId.Create("thread", "t"), [text], null);

    private static string[] Texts(ThreadFeedRead read) => [.. read.Entries.Select(e => (string)e.Events[0])];
}
