using Orleans.Runtime;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Redis;

/// <summary>Its own cluster, because it kills a silo; it starts streams on one thread until some land on the victim.</summary>
public sealed class FailoverClusterFixture : RedisClusterFixture
{
    protected override Dictionary<string, string?> Settings => new(base.Settings)
    {
        ["Streams:StreamStartsPerThreadPerMinute"] = "10000",
        // The test reads every stream after ending them all; the 2 s retention of the other Redis tests could clear
        // the first ones meanwhile on a loaded machine.
        ["Streams:DoneRetention"] = "00:01:00",
    };
}

[CollectionDefinition(Name)]
public sealed class FailoverClusterCollection : ICollectionFixture<FailoverClusterFixture>
{
    public const string Name = "redis failover cluster";
}

[Collection(FailoverClusterCollection.Name)]
public sealed class SiloFailoverTests(FailoverClusterFixture fixture)
{
    [SkippableFact]
    public async Task Killing_a_silo_loses_no_token_and_never_reuses_a_number()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var management = fixture.Client.GetGrain<IManagementGrain>(0);
        var threadId = await fixture.NewThread();
        await using var watcher = await ThreadWatcher.Subscribe(fixture.Client, threadId);

        // Start streams, then condemn the silo that holds the most of them (placement decides where they land).
        var started = new List<(IStreamGrain Grain, SiloAddress? Silo)>();
        for (var i = 0; i < 20; i++)
        {
            var grain = fixture.Client.GetGrain<IStreamGrain>($"s-{i}-" + Guid.NewGuid().ToString("N"));
            await grain.Start(threadId, "run-" + Guid.NewGuid().ToString("N"));
            started.Add((grain, await management.GetActivationAddress(grain)));
        }

        var victimAddress = started.GroupBy(s => s.Silo).MaxBy(g => g.Count())!.Key;
        var victim = fixture.Cluster.Silos.Single(s => s.SiloAddress == victimAddress);
        var onVictim = started.Where(s => s.Silo == victimAddress).Select(s => s.Grain).ToList();
        Assert.True(onVictim.Count >= 10);

        // One stream on the victim is produced without indexes, its last numbers not yet stored when it dies;
        // the others are produced through the producer SDK, which takes over streams it did not start.
        var raw = onVictim[0];
        var streams = started.Where(s => s.Grain != raw).Select(s => (Id: s.Grain.GetPrimaryKeyString(), Sent: new List<string>())).ToList();

        await Send(streams, 0, 20);
        var rawTokens = Enumerable.Range(1, 5).Select(i => $"r{i} ").ToArray();
        foreach (var token in rawTokens)
        {
            await raw.Append(token);
        }

        await fixture.Cluster.KillSiloAsync(victim);

        await Send(streams, 20, 40);
        foreach (var (id, _) in streams)
        {
            Assert.True(await fixture.Producer.EndStreamAsync(id));
        }

        // Every stream holds exactly what its producer sent, in order.
        foreach (var (id, sent) in streams)
        {
            var page = await fixture.Client.GetGrain<IStreamGrain>(id).GetTokens(0);
            Assert.Equal(sent, page.Tokens);
            Assert.Equal(string.Concat(sent), page.FullResponse);
        }

        // The index-less stream refuses to number blindly, then resumes from what its producer resends.
        var interrupted = await Assert.ThrowsAsync<StreamInterruptedException>(() => raw.Append("new").AsTask());
        var stored = interrupted.StoredThrough;
        await Assert.ThrowsAsync<StreamInterruptedException>(() => raw.End("r1 r2", expectedLastSequence: null));
        Assert.InRange(stored, 0, 5);
        // A producer taking over cannot know what viewers were shown past the stored head: it is refused too.
        await Assert.ThrowsAsync<StreamInterruptedException>(() => fixture.Producer.StreamTokenAsync(raw.GetPrimaryKeyString(), "other "));
        await raw.AppendMany(stored + 1, [.. rawTokens[(int)stored..], "r6 "]);
        Assert.Equal(7, await raw.Append("r7 "));
        Assert.Equal(rawTokens.Append("r6 ").Append("r7 "), (await raw.GetTokens(0)).Tokens);

        // No number was ever seen with two different texts, by anyone watching.
        var seen = watcher.Events.OfType<TokensAppended>()
            .SelectMany(e => e.Tokens.Select((t, i) => (e.StreamId, Sequence: e.FirstSequence + i, Token: t)))
            .GroupBy(x => (x.StreamId, x.Sequence));
        Assert.All(seen, g => Assert.Single(g.Select(x => x.Token).Distinct()));
    }

    private async Task Send(List<(string Id, List<string> Sent)> streams, int from, int to)
    {
        await Task.WhenAll(streams.Select(async s =>
        {
            for (var i = from; i < to; i++)
            {
                var token = $"{s.Id[..6]}:{i} ";
                var sequence = await fixture.Producer.StreamTokenAsync(s.Id, token);
                Assert.Equal(i + 1, sequence);
                s.Sent.Add(token);
            }
        }));
    }
}
