using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class ThreadAndRunTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Owner_and_members_can_access_a_thread_and_nobody_else()
    {
        var threadId = await fixture.NewThread("alice", "bob", "carol");
        var thread = fixture.Client.GetGrain<IThreadGrain>(threadId);

        Assert.True(await thread.CanAccess("alice"));
        Assert.True(await thread.CanAccess("bob"));
        Assert.True(await thread.CanAccess("carol"));
        Assert.False(await thread.CanAccess("mallory"));
        Assert.False(await thread.CanAccess(""));
        Assert.False(await fixture.Client.GetGrain<IThreadGrain>("t-never-configured").CanAccess("alice"));
    }

    [Fact]
    public async Task Replacing_the_access_list_revokes_removed_members()
    {
        var threadId = await fixture.NewThread("alice", "bob");
        var thread = fixture.Client.GetGrain<IThreadGrain>(threadId);

        await thread.Configure(new ThreadAccess("ws-1", "proj-1", "alice", []));

        Assert.False(await thread.CanAccess("bob"));
        var access = await thread.GetAccess();
        Assert.Equal("alice", access!.OwnerUserId);
        Assert.Empty(access.MemberUserIds);
    }

    [Fact]
    public async Task A_thread_lists_open_streams_first_then_recent_ones_with_their_progress()
    {
        var threadId = await fixture.NewThread();
        var done = fixture.Client.GetGrain<IStreamGrain>("s-done-" + Guid.NewGuid().ToString("N"));
        var live = fixture.Client.GetGrain<IStreamGrain>("s-live-" + Guid.NewGuid().ToString("N"));
        await done.Start(threadId, "run-a-" + Guid.NewGuid().ToString("N"));
        await done.AppendMany(1, ["x", "y"]);
        await done.End("xy");
        await live.Start(threadId, "run-b-" + Guid.NewGuid().ToString("N"));
        await live.AppendMany(1, ["a", "b", "c"]);

        var streams = await fixture.Client.GetGrain<IThreadGrain>(threadId).GetStreams();

        Assert.Equal(2, streams.Length);
        Assert.Equal(live.GetPrimaryKeyString(), streams[0].StreamId);
        Assert.False(streams[0].Done);
        Assert.Equal(3, streams[0].LastSequence);
        Assert.Equal(done.GetPrimaryKeyString(), streams[1].StreamId);
        Assert.True(streams[1].Done);
        Assert.Equal(2, streams[1].LastSequence);
    }

    [Fact]
    public async Task A_run_is_running_until_its_streams_end()
    {
        var threadId = await fixture.NewThread();
        var runId = "r-" + Guid.NewGuid().ToString("N");
        var first = fixture.Client.GetGrain<IStreamGrain>("s-" + Guid.NewGuid().ToString("N"));
        var second = fixture.Client.GetGrain<IStreamGrain>("s-" + Guid.NewGuid().ToString("N"));
        var run = fixture.Client.GetGrain<IRunGrain>(runId);
        await first.Start(threadId, runId);
        await second.Start(threadId, runId);

        await first.End("");
        Assert.Equal(RunStatus.Running, (await run.GetInfo())!.Status);

        await second.End("");
        Assert.Equal(RunStatus.Completed, (await run.GetInfo())!.Status);
    }
}
