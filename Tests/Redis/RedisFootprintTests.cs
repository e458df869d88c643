using ReHome.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace ReHome.Tests.Redis;

/// <summary>
/// What a thread, a run and a stream cost in Redis, measured with <c>MEMORY USAGE</c> on their keys (and the growth
/// of the reminder table): the figures in deploy/README.md come from this test's output. The bounds fail the test
/// when the stored shapes grow by half again.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class RedisFootprintTests(RedisClusterFixture fixture, ITestOutputHelper output)
{
    private const int Count = 100;
    private const int TokensPerStream = 100;

    [SkippableFact]
    public async Task A_thread_a_run_and_a_stream_of_100_tokens_each_take_a_few_kilobytes_of_redis()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(fixture.Redis.ConnectionString);
        var server = connection.GetServer(connection.GetEndPoints()[0]);
        var db = connection.GetDatabase();
        var existing = server.Keys(pattern: "*/reminders").ToArray();
        var remindersBefore = existing.Length == 0 ? 0 : await Usage(db, existing[0]);

        var ids = new List<(string Thread, string Run, string Stream)>();
        var watchers = new List<ThreadWatcher>();
        for (var i = 0; i < Count; i++)
        {
            var (threadId, runId, streamId, grain) = await fixture.NewStream();
            watchers.Add(await ThreadWatcher.Subscribe(fixture.Client, threadId));
            // Tokens of 5 characters, as a model's average English token is about 4.
            await grain.AppendMany(1, [.. Enumerable.Range(1, TokensPerStream).Select(n => $"w{n % 1000:000} ")]);
            ids.Add((threadId, runId, streamId));
        }

        // Every grain's state written through (deactivation stores what checkpoints had not).
        foreach (var id in ids)
        {
            await fixture.Cluster.DeactivateAsync(fixture.Client.GetGrain<IStreamGrain>(id.Stream));
        }

        var thread = await PerGrain(db, ids.Select(i => i.Thread), "thread");
        var run = await PerGrain(db, ids.Select(i => i.Run), "run");
        var stream = await PerGrain(db, ids.Select(i => i.Stream), "stream");
        var reminders = server.Keys(pattern: "*/reminders").First();
        // Three reminders per conversation: the thread's and the run's retention, the open stream's hygiene.
        var reminderBytes = (await Usage(db, reminders) - remindersBefore) / (double)Count;

        output.WriteLine($"Redis MEMORY USAGE per grain, mean of {Count}: thread {thread:0} B, run {run:0} B, " +
            $"open stream with {TokensPerStream} tokens of 5 characters {stream:0} B, " +
            $"reminder entries per conversation {reminderBytes:0} B; together {thread + run + stream + reminderBytes:0} B");
        Assert.InRange(thread, 100, 1500);
        Assert.InRange(run, 100, 1000);
        Assert.InRange(stream, 500, 4000);
        Assert.InRange(reminderBytes, 100, 1500);

        // The thread feeds keep their subscriptions in the relays' memory: a watched thread writes nothing more.
        Assert.Empty(server.Keys(pattern: "*pubsub*"));
        await Eventually.True(() => Task.FromResult(watchers.All(w => w.Events.OfType<TokensAppended>().Sum(e => e.Tokens.Length) == TokensPerStream)),
            because: "every watcher gets its thread's tokens");
        foreach (var watcher in watchers)
        {
            await watcher.DisposeAsync();
        }
    }

    /// <summary>The mean <c>MEMORY USAGE</c> of the state keys of these grains whose names contain <paramref name="kind"/>.</summary>
    private async Task<double> PerGrain(IDatabase db, IEnumerable<string> grainKeys, string kind)
    {
        var sizes = new List<long>();
        foreach (var grainKey in grainKeys)
        {
            foreach (var key in (await fixture.StateKeys(grainKey)).Where(k => k.ToString().Contains($"/{kind}/", StringComparison.Ordinal)))
            {
                sizes.Add(await Usage(db, key));
            }
        }

        Assert.Equal(Count, sizes.Count);
        return sizes.Average();
    }

    private static async Task<long> Usage(IDatabase db, RedisKey key) =>
        (long)await db.ExecuteAsync("MEMORY", "USAGE", key, "SAMPLES", "0");
}
