using System.Diagnostics;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Cluster;

/// <summary>A cluster whose thread-feed reads wait 10 s on an empty queue (with a response timeout that allows it).</summary>
public sealed class LongFeedWaitFixture : ClusterFixture
{
    public static readonly TimeSpan ReadWait = TimeSpan.FromSeconds(10);

    protected override short SiloCount => 1;

    protected override Dictionary<string, string?> Settings => new()
    {
        ["Streams:PollingPeriod"] = ReadWait.ToString(),
        ["Messaging:ResponseTimeout"] = (ReadWait * 2).ToString(),
    };
}

[CollectionDefinition(Name)]
public sealed class LongFeedWaitCollection : ICollectionFixture<LongFeedWaitFixture>
{
    public const string Name = "long feed wait";
}

/// <summary>The thread feeds deliver when an event is queued, not when a polling period comes round.</summary>
[Collection(LongFeedWaitCollection.Name)]
public sealed class ThreadFeedTests(LongFeedWaitFixture fixture)
{
    [Fact]
    public async Task Each_token_arrives_long_before_the_read_wait_would_have_ended()
    {
        var (threadId, _, streamId, grain) = await fixture.NewStream();
        await using var watcher = await ThreadWatcher.Subscribe(fixture.Client, threadId);
        await grain.Append("warm");
        await Eventually.True(() => Task.FromResult(watcher.Tokens(streamId).Count == 1), because: "the first token arrives");

        // With a 10 s polling period, five tokens in a row would each wait for the next poll: 3 s apiece is generous
        // for a read that wakes when the token is queued, and far too short for one that polls.
        for (var i = 2; i <= 6; i++)
        {
            var clock = Stopwatch.StartNew();
            await grain.Append($"t{i}");
            var sequence = i;
            await Eventually.True(() => Task.FromResult(watcher.Tokens(streamId).Count == sequence), timeout: TimeSpan.FromSeconds(3),
                because: $"token {i} arrives without waiting for a poll");
            Assert.True(clock.Elapsed < LongFeedWaitFixture.ReadWait / 3, $"token {i} took {clock.Elapsed}");
        }

        Assert.Equal(["warm", "t2", "t3", "t4", "t5", "t6"], watcher.Tokens(streamId).Select(t => t.Token));
    }
}
