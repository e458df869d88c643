using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class AppendTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Append_numbers_tokens_from_one()
    {
        var (_, _, _, grain) = await fixture.NewStream();

        Assert.Equal(1, await grain.Append("Hello "));
        Assert.Equal(2, await grain.Append("World!"));
        Assert.Equal(3, await grain.Append(""));
    }

    [Fact]
    public async Task Fifty_parallel_callers_get_gap_free_unique_numbers()
    {
        var (_, _, _, grain) = await fixture.NewStream();
        const int callers = 50, perCaller = 20;

        var numbers = await Task.WhenAll(Enumerable.Range(0, callers).Select(async c =>
        {
            var mine = new List<(long Sequence, string Token)>();
            for (var i = 0; i < perCaller; i++)
            {
                var token = $"{c}:{i} ";
                mine.Add((await grain.Append(token), token));
            }

            return mine;
        }));

        var all = numbers.SelectMany(n => n).ToList();
        Assert.Equal(Enumerable.Range(1, callers * perCaller).Select(i => (long)i), all.Select(n => n.Sequence).Order());
        Assert.All(numbers, mine => Assert.True(mine.Select(n => n.Sequence).SequenceEqual(mine.Select(n => n.Sequence).Order()),
            "one caller's awaited appends are numbered in the order it made them"));

        // Each number holds the text it was handed out for.
        var page = await grain.GetTokens(0);
        Assert.All(all, n => Assert.Equal(n.Token, page.Tokens[n.Sequence - 1]));
    }

    [Fact]
    public async Task A_resent_batch_is_not_numbered_twice()
    {
        var (_, _, _, grain) = await fixture.NewStream();

        var first = await grain.AppendMany(1, ["a", "b", "c"]);
        var resent = await grain.AppendMany(1, ["a", "b", "c"]);
        var overlapping = await grain.AppendMany(3, ["c", "d"]);

        Assert.Equal(3, first.LastSequence);
        Assert.Equal(3, resent.LastSequence);
        Assert.Equal(4, overlapping.LastSequence);
        Assert.Equal(["a", "b", "c", "d"], (await grain.GetTokens(0)).Tokens);
    }

    [Fact]
    public async Task A_different_text_at_a_used_number_is_a_conflict_and_changes_nothing()
    {
        var (_, _, _, grain) = await fixture.NewStream();
        await grain.AppendMany(1, ["a", "b"]);

        await Assert.ThrowsAsync<StreamConflictException>(() => grain.AppendMany(2, ["X", "c"]).AsTask());

        Assert.Equal(["a", "b"], (await grain.GetTokens(0)).Tokens);
    }

    [Fact]
    public async Task Skipping_numbers_is_a_gap_error_naming_the_next_number()
    {
        var (_, _, _, grain) = await fixture.NewStream();
        await grain.AppendMany(1, ["a"]);

        var gap = await Assert.ThrowsAsync<SequenceGapException>(() => grain.AppendMany(5, ["e"]).AsTask());

        Assert.Equal(2, gap.ExpectedSequence);
        Assert.Equal(5, gap.ReceivedSequence);
        Assert.Equal(1, (await grain.GetInfo()).LastSequence);
    }

    [Fact]
    public async Task Replay_returns_the_tokens_after_a_sequence()
    {
        var (_, _, _, grain) = await fixture.NewStream();
        await grain.AppendMany(1, ["one ", "two ", "three ", "four"]);

        var fromStart = await grain.GetTokens(0);
        var afterTwo = await grain.GetTokens(2);
        var atEnd = await grain.GetTokens(4);

        Assert.True(fromStart.Complete);
        Assert.Equal(1, fromStart.FirstSequence);
        Assert.Equal(["one ", "two ", "three ", "four"], fromStart.Tokens);
        Assert.Equal(3, afterTwo.FirstSequence);
        Assert.Equal(["three ", "four"], afterTwo.Tokens);
        Assert.True(afterTwo.Complete);
        Assert.Empty(atEnd.Tokens);
        Assert.False(atEnd.Done);
        Assert.Equal(4, atEnd.LastSequence);

        await grain.End("one two three four");
        var done = await grain.GetTokens(3);
        Assert.True(done.Done);
        Assert.Equal(StreamEndReason.Completed, done.Reason);
        Assert.Equal("one two three four", done.FullResponse);
        Assert.Equal(["four"], done.Tokens);
    }

    [Fact]
    public async Task A_client_subscriber_receives_every_token_in_order_then_done()
    {
        var (threadId, runId, streamId, grain) = await fixture.NewStream();
        await using var watcher = await ThreadWatcher.Subscribe(fixture.Client, threadId);
        var sent = Enumerable.Range(1, 300).Select(i => $"w{i} ").ToList();

        foreach (var token in sent)
        {
            await grain.Append(token);
        }

        await grain.End(string.Concat(sent));
        var done = await watcher.WaitForDone(streamId);

        var received = watcher.Tokens(streamId);
        Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), received.Select(r => r.Sequence));
        Assert.Equal(sent, received.Select(r => r.Token));
        Assert.Equal(300, done.LastSequence);
        Assert.Equal(string.Concat(sent), done.FullResponse);
        Assert.Equal(StreamEndReason.Completed, done.Reason);
        Assert.All(watcher.Events, e => Assert.Equal((threadId, runId, streamId), (e.ThreadId, e.RunId, e.StreamId)));
        Assert.IsType<StreamEnded>(watcher.Events.Last());
    }

    [Fact]
    public async Task State_survives_deactivation_and_numbering_continues()
    {
        var (_, _, streamId, grain) = await fixture.NewStream();
        await grain.AppendMany(1, ["a", "b", "c"]);

        await fixture.Cluster.DeactivateAsync(grain);

        var page = await grain.GetTokens(0);
        Assert.Equal(["a", "b", "c"], page.Tokens);
        Assert.Equal(4, await grain.Append("d"));
        Assert.True((await fixture.ReadStoredStream(streamId)).State.LastSequence >= 3);
    }
}
