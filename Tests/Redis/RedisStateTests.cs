using ReHome.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace ReHome.Tests.Redis;

[Collection(RedisClusterCollection.Name)]
public sealed class RedisStateTests(RedisClusterFixture fixture, ITestOutputHelper output)
{
    [SkippableFact]
    public async Task Stream_state_survives_deactivation_and_reactivation()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var (_, _, streamId, grain) = await fixture.NewStream();
        await grain.AppendMany(1, ["a", "b", "c"]);

        await fixture.Cluster.DeactivateAsync(grain);

        Assert.NotEmpty(await fixture.StateKeys(streamId));
        Assert.Equal(["a", "b", "c"], (await grain.GetTokens(0)).Tokens);
        Assert.Equal(4, await grain.Append("d"));
    }

    [SkippableFact]
    public async Task Thread_access_lives_in_redis()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var threadId = await fixture.NewThread("alice", "bob");
        var thread = fixture.Client.GetGrain<IThreadGrain>(threadId);

        await fixture.Cluster.DeactivateAsync(thread);

        Assert.NotEmpty(await fixture.StateKeys(threadId));
        Assert.True(await thread.CanAccess("bob"));
    }

    [SkippableFact]
    public async Task An_ended_stream_is_deleted_from_redis_after_its_retention_leaving_a_tombstone_that_redis_expires()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var (threadId, runId, streamId, grain) = await fixture.NewStream();
        await grain.Append("x");
        await grain.End("x");
        Assert.Equal(["/stream"], (await fixture.StateKeys(streamId)).Select(Kind));

        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Redis.ConnectionString);
        // The TTL is read as soon as the tombstone is seen: it is only 3 s, and a slow step after could outlive it.
        var (tombstone, ttl) = await Eventually.Get<(RedisKey Key, TimeSpan? Ttl)>(async () =>
        {
            var keys = await fixture.StateKeys(streamId);
            return keys is [var only] && Kind(only) == "/tombstone"
                ? (only, await redis.GetDatabase().KeyTimeToLiveAsync(only))
                : (default, null);
        }, found => found.Ttl is not null, because: "retention deletes the stream's key and leaves a tombstone");
        Assert.InRange(ttl!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(3));
        output.WriteLine($"tombstone {tombstone}: {await redis.GetDatabase().ExecuteAsync("MEMORY", "USAGE", tombstone)} bytes in Redis, TTL {ttl}");
        Assert.True((await grain.GetInfo()).Done);

        await Eventually.True(async () => (await fixture.StateKeys(streamId)).Length == 0, because: "Redis expires the tombstone");

        // The id is free: a new stream, which retires in its turn, over the expired key.
        var again = await Eventually.Get(() => grain.Start(threadId, runId), i => !i.Done, because: "the id is free again");
        Assert.Equal(0, again.LastSequence);
        Assert.Equal(1, await grain.Append("y"));
        Assert.True(await grain.End(null));
        await Eventually.True(async () => (await fixture.StateKeys(streamId)).Select(Kind).SequenceEqual(["/tombstone"]), because: "a second tombstone");
    }

    private static string Kind(RedisKey key) => ((string)key!)[((string)key!).LastIndexOf('/')..];
}
