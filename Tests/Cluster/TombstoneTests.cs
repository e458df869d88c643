using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using ReHome.Grains;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Cluster;

/// <summary>A cluster whose ended streams lose their text after a second and keep their tombstone for an hour.</summary>
public sealed class LongTombstoneFixture : ClusterFixture
{
    protected override short SiloCount => 1;

    protected override Dictionary<string, string?> Settings => new()
    {
        ["Streams:DoneRetention"] = "00:00:01",
        ["Streams:TombstoneRetention"] = "01:00:00",
    };
}

[CollectionDefinition(Name)]
public sealed class LongTombstoneCollection : ICollectionFixture<LongTombstoneFixture>
{
    public const string Name = "long tombstones";
}

/// <summary>Within the tombstone retention, an ended stream's id answers as that stream, without its text.</summary>
[Collection(LongTombstoneCollection.Name)]
public sealed class TombstoneTests(LongTombstoneFixture fixture)
{
    [Fact]
    public async Task Within_the_tombstone_retention_the_id_answers_as_the_ended_stream_also_after_reactivation()
    {
        var (threadId, runId, streamId, grain) = await fixture.NewStream();
        await grain.AppendMany(1, ["a", "b", "c"]);
        await grain.Cancel("user pressed stop");
        await Eventually.True(async () => !(await fixture.ReadStoredStream(streamId)).RecordExists, because: "retention clears the state");

        foreach (var activation in new[] { "retired", "reactivated" })
        {
            var info = await grain.Start(threadId, runId);
            Assert.Equal((true, 3L, StreamEndReason.Cancelled, "user pressed stop"), (info.Done, info.LastSequence, info.Reason, info.Detail));
            Assert.Equal("stream_cancelled", (await Assert.ThrowsAsync<StreamCancelledException>(() => grain.Append("late").AsTask())).Code);
            await Assert.ThrowsAsync<StreamCancelledException>(() => grain.AppendMany(1, ["late"]).AsTask());
            Assert.False(await grain.End("late"));
            Assert.False(await grain.Cancel("again"));
            await Assert.ThrowsAsync<StreamConflictException>(() => grain.Start(threadId, "r-other-" + Guid.NewGuid().ToString("N")));
            var page = await grain.GetTokens(1);
            Assert.Equal((4L, 0, 3L, false, true, (string?)null), (page.FirstSequence, page.Tokens.Length, page.LastSequence, page.Complete, page.Done, page.FullResponse));
            Assert.True((await grain.GetTokens(3)).Complete, activation);

            await fixture.Cluster.DeactivateAsync(grain);
        }

        var tombstone = (await fixture.ReadStoredTombstone(streamId)).Tombstone;
        Assert.Equal((threadId, runId, 3L), (tombstone.ThreadId, tombstone.RunId, tombstone.LastSequence));
        Assert.False((await fixture.ReadStoredStream(streamId)).RecordExists);
        Assert.Empty(await fixture.Client.GetGrain<IThreadGrain>(threadId).GetStreams());
    }

    [Fact]
    public async Task A_tombstone_stored_under_the_activation_is_written_over_and_the_stream_still_retires()
    {
        var (threadId, runId, streamId, grain) = await fixture.NewStream();
        // As a retirement whose tombstone write timed out and was applied later leaves it: a record at a version this
        // activation never read.
        var storage = fixture.Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(StorageNames.Tombstones);
        await storage.WriteStateAsync("tombstone", grain.GetGrainId(), new GrainState<StreamTombstone>(new StreamTombstone { ThreadId = threadId, RunId = runId }));
        await grain.AppendMany(1, ["a", "b"]);
        await grain.End("ab");

        await Eventually.True(async () => !(await fixture.ReadStoredStream(streamId)).RecordExists, because: "retention clears the state");
        var tombstone = (await fixture.ReadStoredTombstone(streamId)).Tombstone;
        Assert.Equal((2L, StreamEndReason.Completed), (tombstone.LastSequence, tombstone.Reason));
    }

    [Fact]
    public async Task A_retirement_whose_delete_was_applied_under_it_still_finishes_and_the_thread_lets_go()
    {
        var (threadId, _, streamId, grain) = await fixture.NewStream();
        await grain.AppendMany(1, ["a", "b"]);
        await grain.End("ab");
        // The head is gone at a version the activation never saw, as when its delete timed out in a Redis hang and
        // was applied as Redis resumed: every delete it retries with its old version is refused.
        var storage = fixture.Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(StorageNames.Grains);
        var head = new GrainState<StreamState>();
        await storage.ReadStateAsync("stream", grain.GetGrainId(), head);
        await storage.ClearStateAsync("stream", grain.GetGrainId(), head);

        var thread = fixture.Client.GetGrain<IThreadGrain>(threadId);
        await Eventually.True(async () => (await thread.GetStreams()).Length == 0, because: "the stream retires and the thread lets go of it");
        Assert.Equal(2L, (await fixture.ReadStoredTombstone(streamId)).Tombstone.LastSequence);
    }

    [Fact]
    public async Task A_run_that_could_not_be_told_its_stream_ended_is_told_when_the_stream_retires()
    {
        var (_, runId, streamId, grain) = await fixture.NewStream();
        var run = fixture.Client.GetGrain<IRunGrain>(runId);
        Assert.Equal(RunStatus.Running, (await run.GetInfo())?.Status);
        // The run's stored version moves under its activation, as after a write that timed out and was applied late:
        // its next write, the stream's end, fails.
        var storage = fixture.Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(StorageNames.Grains);
        var stored = new GrainState<RunState>();
        await storage.ReadStateAsync("run", run.GetGrainId(), stored);
        await storage.WriteStateAsync("run", run.GetGrainId(), stored);

        await grain.End("done");

        await Eventually.True(async () => !(await fixture.ReadStoredStream(streamId)).RecordExists, because: "retention clears the state");
        Assert.Equal(RunStatus.Completed, (await run.GetInfo())?.Status);
    }
}

/// <summary>After the tombstone retention, the id is free.</summary>
[Collection(TightLimitsCollection.Name)]
public sealed class TombstoneExpiryTests(TightLimitsFixture fixture)
{
    [Fact]
    public async Task After_the_tombstone_retention_the_id_starts_a_new_stream_numbered_from_one()
    {
        var (threadId, runId, streamId, grain) = await fixture.NewStream();
        await grain.AppendMany(1, ["a", "b"]);
        await grain.End(null);
        var first = (await Eventually.Get(() => fixture.ReadStoredTombstone(streamId), t => t.RecordExists, because: "retention leaves a tombstone")).Tombstone;
        await Eventually.True(async () => !(await fixture.ReadStoredTombstone(streamId)).RecordExists, because: "the tombstone expires");

        var info = await Eventually.Get(() => grain.Start(threadId, runId), i => !i.Done, because: "the id is free again");

        Assert.Equal(0L, info.LastSequence);
        Assert.True(info.StartedAt > first.EndedAt);
        // Left alone, the new stream is abandoned, and retires over the old tombstone's place.
        var second = await Eventually.Get(() => fixture.ReadStoredTombstone(streamId), t => t.RecordExists, because: "a second tombstone");
        Assert.Equal((0L, StreamEndReason.Abandoned, info.StartedAt), (second.Tombstone.LastSequence, second.Tombstone.Reason, second.Tombstone.StartedAt));
    }
}
