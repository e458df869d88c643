using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Redis;

/// <summary>
/// What the hub asks the cluster when a viewer joins or fetches an id nobody configured (the access check and the
/// stream lookup) stores nothing in Redis and leaves no activation behind: a refused call costs the same the
/// ten-thousandth time as the first.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class UnknownIdTests(RedisClusterFixture fixture)
{
    [SkippableFact]
    public async Task Probing_unknown_thread_and_stream_ids_stores_nothing_and_leaves_no_activation()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var prefix = "probe-" + Guid.NewGuid().ToString("N")[..12];
        var ids = Enumerable.Range(0, 50).Select(i => $"{prefix}-{i}").ToList();

        await Task.WhenAll(ids.Select(async id =>
        {
            var thread = fixture.Client.GetGrain<IThreadGrain>(id);
            Assert.False(await thread.CanAccess("mallory"));
            Assert.Empty(await thread.GetStreams());
            var stream = fixture.Client.GetGrain<IStreamGrain>(id);
            await Assert.ThrowsAsync<StreamNotFoundException>(async () => await stream.GetInfo());
            await Assert.ThrowsAsync<StreamNotFoundException>(async () => await stream.GetTokens(0));
        }));

        Assert.Empty(await fixture.StateKeys(prefix));
        await Eventually.True(async () => await Activations.WithKeyPrefix(fixture.Client, prefix) == 0, TimeSpan.FromSeconds(30),
            "the activations of ids nobody configured are gone");
        Assert.Empty(await fixture.StateKeys(prefix));
    }

    [SkippableFact]
    public async Task A_thread_configured_while_its_unknown_activation_lingers_is_kept()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var threadId = "probe-" + Guid.NewGuid().ToString("N");
        var thread = fixture.Client.GetGrain<IThreadGrain>(threadId);
        Assert.False(await thread.CanAccess("alice"));

        await thread.Configure(new ThreadAccess(null, null, "alice", []));

        Assert.True(await thread.CanAccess("alice"));
        Assert.NotEmpty(await fixture.StateKeys(threadId));
        // Past the linger, it is still there and still answers from memory and storage alike.
        await Eventually.True(async () => await Activations.WithKeyPrefix(fixture.Client, threadId) == 1);
        Assert.True(await thread.CanAccess("alice"));
    }
}
