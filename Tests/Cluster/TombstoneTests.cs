using ReHome.Grains;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Cluster;

/// <summary>An ended stream's id after its done retention: taken by a tombstone for a while, then free.</summary>
[Collection(TightLimitsCollection.Name)]
public sealed class TombstoneTests(TightLimitsFixture fixture)
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
            Assert.Equal((4L, 0, 3L, false, true), (page.FirstSequence, page.Tokens.Length, page.LastSequence, page.Complete, page.Done));
            Assert.True((await grain.GetTokens(3)).Complete, activation);

            await fixture.Cluster.DeactivateAsync(grain);
        }

        var tombstone = (await fixture.ReadStoredTombstone(streamId)).Tombstone;
        Assert.Equal((threadId, runId, 3L), (tombstone.ThreadId, tombstone.RunId, tombstone.LastSequence));
        Assert.False((await fixture.ReadStoredStream(streamId)).RecordExists);
    }

    [Fact]
    public async Task After_the_tombstone_retention_the_id_starts_a_new_stream_numbered_from_one()
    {
        var (threadId, runId, streamId, grain) = await fixture.NewStream();
        await grain.AppendMany(1, ["a", "b"]);
        await grain.End(null);
        await Eventually.True(async () => (await fixture.ReadStoredTombstone(streamId)).RecordExists, because: "retention leaves a tombstone");
        await Eventually.True(async () => !(await fixture.ReadStoredTombstone(streamId)).RecordExists, because: "the tombstone expires");

        var info = await grain.Start(threadId, runId);

        Assert.Equal((false, 0L), (info.Done, info.LastSequence));
        Assert.Equal(1, await grain.Append("new"));
        Assert.True(await grain.End(null));
        // The new incarnation retires too, over the old tombstone's place.
        await Eventually.True(async () => (await fixture.ReadStoredTombstone(streamId)) is (true, { LastSequence: 1 }), because: "a second tombstone");
    }
}
