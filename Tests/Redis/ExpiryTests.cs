using System.Diagnostics;
using ReHome.Tests.Infrastructure;
using StackExchange.Redis;

namespace ReHome.Tests.Redis;

/// <summary>Threads, runs and streams delete their Redis keys (state and reminders) once their retention has passed.</summary>
[Collection(ExpiryRedisCollection.Name)]
public sealed class ExpiryTests(ExpiryRedisFixture fixture)
{
    [SkippableFact]
    public async Task A_finished_conversation_leaves_no_key_in_redis_once_thread_run_and_stream_retention_pass()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var (threadId, runId, streamId, grain) = await fixture.NewStream();
        await grain.AppendMany(1, ["a", "b"]);
        await grain.End("ab");
        Assert.NotEmpty(await fixture.StateKeys(threadId));
        Assert.NotEmpty(await fixture.StateKeys(runId));
        Assert.NotEmpty(await fixture.StateKeys(streamId));
        Assert.NotEmpty(await Reminders(threadId));
        Assert.NotEmpty(await Reminders(runId));

        await Eventually.Get(() => Leftovers(threadId, runId, streamId), left => left.Length == 0, TimeSpan.FromSeconds(60),
            "thread, run and stream keys and their reminders are deleted");

        var thread = fixture.Client.GetGrain<IThreadGrain>(threadId);
        Assert.Null(await thread.GetAccess());
        Assert.False(await thread.CanAccess("owner-1"));
        Assert.Empty(await thread.GetStreams());
        Assert.Null(await fixture.Client.GetGrain<IRunGrain>(runId).GetInfo());
        // Reading them activated the grains again, and wrote nothing.
        Assert.Equal("", await Leftovers(threadId, runId));
    }

    [SkippableFact]
    public async Task An_expired_thread_refuses_new_streams_until_configured_again()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var threadId = await fixture.NewThread("alice");

        await Eventually.Get(() => Leftovers(threadId), left => left.Length == 0, TimeSpan.FromSeconds(60), "the idle thread is deleted");

        var stream = fixture.Client.GetGrain<IStreamGrain>("s-" + Guid.NewGuid().ToString("N"));
        await Assert.ThrowsAsync<ThreadNotFoundException>(() => stream.Start(threadId, "r-" + Guid.NewGuid().ToString("N")));
        await fixture.Client.GetGrain<IThreadGrain>(threadId).Configure(new ThreadAccess(null, null, "alice", []));
        await stream.Start(threadId, "r-" + Guid.NewGuid().ToString("N"));
        await stream.End("");
    }

    [SkippableFact]
    public async Task An_expired_thread_takes_its_users_out_of_the_connections_still_in_it()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var threadId = await fixture.NewThread("alice", "bob");
        await using var gateway = await ThreadWatcher.Subscribe(fixture.Client, threadId);

        await Eventually.Get(() => Leftovers(threadId), left => left.Length == 0, TimeSpan.FromSeconds(60), "the idle thread is deleted");

        // Else a configure that recreates the thread without them would remove no one, and their connections stay.
        var changed = await Eventually.Get(() => Task.FromResult(gateway.Events.OfType<ThreadAccessChanged>().FirstOrDefault()),
            e => e is not null, because: "the thread announced who lost access before it was deleted");
        Assert.Equal(["alice", "bob"], changed!.RemovedUserIds.Order());
    }

    [SkippableFact]
    public async Task A_thread_in_use_outlives_its_retention_several_times_over()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var threadId = await fixture.NewThread("bob");
        var thread = fixture.Client.GetGrain<IThreadGrain>(threadId);
        // Listed by the thread for as long as the thread was never deleted (a re-configured thread lists nothing).
        var stream = fixture.Client.GetGrain<IStreamGrain>("s-" + Guid.NewGuid().ToString("N"));
        var streamId = (await stream.Start(threadId, "r-" + Guid.NewGuid().ToString("N"))).StreamId;

        // Activity (a configure) every quarter second for more than twice the retention.
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < ExpiryRedisFixture.ThreadRetention * 2.5)
        {
            await thread.Configure(new ThreadAccess(null, null, "bob", []));
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        Assert.NotEmpty(await fixture.StateKeys(threadId));
        Assert.True(await thread.CanAccess("bob"));
        Assert.Equal([streamId], (await thread.GetStreams()).Select(s => s.StreamId));
        await stream.End("");
    }

    [SkippableFact]
    public async Task An_open_stream_whose_reminder_is_missing_registers_it_when_it_is_next_active()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var (_, _, streamId, grain) = await fixture.NewStream();
        await grain.AppendMany(1, ["a"]);
        Assert.NotEmpty(await Reminders(streamId));

        // As after an activation that died between storing the start and registering the reminder: none is stored.
        // Then nothing would wake the stream once its next activation goes, to abandon or retire it.
        await RemoveReminders(streamId);
        await fixture.Cluster.DeactivateAsync(grain);
        Assert.Equal(["a"], (await grain.GetTokens(0)).Tokens);

        await Eventually.Get(() => Reminders(streamId), r => r.Length == 1, because: "the reactivated open stream registers its reminder again");
    }

    [SkippableFact]
    public async Task A_retried_start_schedules_the_runs_retention_the_first_may_have_missed()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var threadId = await fixture.NewThread("carol");
        var runId = "r-" + Guid.NewGuid().ToString("N");
        var streamId = "s-" + Guid.NewGuid().ToString("N");
        var run = fixture.Client.GetGrain<IRunGrain>(runId);
        await run.StreamStarted(threadId, streamId);
        // As when the first start's write timed out and landed late, and its retry found the stream stored.
        await RemoveReminders(runId);

        await run.StreamStarted(threadId, streamId);

        Assert.Single(await Reminders(runId));
    }

    /// <summary>Deletes the reminder entries that name this grain key, as a registration that never happened.</summary>
    private async Task RemoveReminders(string grainKey)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(fixture.Redis.ConnectionString);
        var table = connection.GetServer(connection.GetEndPoints()[0]).Keys(pattern: "*/reminders").Single();
        await connection.GetDatabase().SortedSetRemoveAsync(table, await Reminders(grainKey));
        Assert.Empty(await Reminders(grainKey));
    }

    /// <summary>Every key and reminder entry that still names one of these grain keys.</summary>
    private async Task<string> Leftovers(params string[] grainKeys)
    {
        var left = new List<string>();
        foreach (var key in grainKeys)
        {
            left.AddRange((await fixture.StateKeys(key)).Select(k => $"key {k}"));
            left.AddRange((await Reminders(key)).Select(r => "reminder " + r));
        }

        return string.Join(", ", left);
    }

    /// <summary>Reminder entries (a sorted set per service) that name this grain key.</summary>
    private async Task<RedisValue[]> Reminders(string grainKey)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(fixture.Redis.ConnectionString);
        var db = connection.GetDatabase();
        var tables = connection.GetServer(connection.GetEndPoints()[0]).Keys(pattern: "*/reminders").ToArray();
        // Redis deletes a sorted set with no member left.
        Assert.True(tables.Length <= 1, $"one reminder table: {string.Join(", ", tables)}");
        var members = tables.Length == 0 ? [] : await db.SortedSetRangeByRankAsync(tables[0]);
        return [.. members.Where(m => m.ToString().Contains(grainKey, StringComparison.Ordinal))];
    }
}
