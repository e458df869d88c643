using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Cluster;

/// <summary>A thread tells its feed who lost access, so that every gateway can take them out.</summary>
[Collection(ClusterCollection.Name)]
public sealed class AccessChangeTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Replacing_the_access_list_publishes_exactly_the_users_who_lost_access()
    {
        var threadId = await fixture.NewThread("owner", "bob", "carol");
        await using var feed = await ThreadWatcher.Subscribe(fixture.Client, threadId);
        var thread = fixture.Client.GetGrain<IThreadGrain>(threadId);

        await thread.Configure(new ThreadAccess(null, null, "carol", ["dave"]));

        var changed = (await Eventually.Get(() => Task.FromResult(feed.Events.OfType<ThreadAccessChanged>().FirstOrDefault()), e => e is not null))!;
        Assert.Equal(threadId, changed.ThreadId);
        Assert.Equal(["bob", "owner"], changed.RemovedUserIds.Order());
        Assert.False(await thread.CanAccess("bob"));
        Assert.True(await thread.CanAccess("carol"));
    }

    [Fact]
    public async Task A_change_that_removes_no_one_publishes_nothing()
    {
        var threadId = await fixture.NewThread("owner", "bob");
        await using var feed = await ThreadWatcher.Subscribe(fixture.Client, threadId);
        var thread = fixture.Client.GetGrain<IThreadGrain>(threadId);

        await thread.Configure(new ThreadAccess(null, null, "owner", ["bob", "carol"]));
        // A marker after it on the same feed: once it arrives, an access event published before it would have too.
        await thread.Configure(new ThreadAccess(null, null, "owner", ["bob"]));

        var marker = (await Eventually.Get(() => Task.FromResult(feed.Events.OfType<ThreadAccessChanged>().ToList()), e => e.Count > 0)).Single();
        Assert.Equal(["carol"], marker.RemovedUserIds);
    }
}
