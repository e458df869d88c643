using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Redis;

[Collection(RedisClusterCollection.Name)]
public sealed class RedisStateTests(RedisClusterFixture fixture)
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
    public async Task An_ended_stream_is_deleted_from_redis_after_its_retention()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var (_, _, streamId, grain) = await fixture.NewStream();
        await grain.Append("x");
        await grain.End("x");
        Assert.NotEmpty(await fixture.StateKeys(streamId));

        await Eventually.True(async () => (await fixture.StateKeys(streamId)).Length == 0, because: "retention deletes the key");
        await Assert.ThrowsAsync<StreamNotFoundException>(() => grain.GetInfo().AsTask());
    }
}
