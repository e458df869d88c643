using ReHome.Tests.Infrastructure;
using StackExchange.Redis;

namespace ReHome.Tests.Redis;

[Collection(RedisClusterCollection.Name)]
public sealed class RedisConnectionTests(RedisClusterFixture fixture)
{
    [SkippableFact]
    public async Task Each_silo_stores_and_reminds_through_one_Redis_connection()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        // Both silos have written grain state and registered reminders (a stream's hygiene, a run's retention).
        var (_, _, _, stream) = await fixture.NewStream();
        await stream.AppendMany(1, ["a", "b"]);
        await using var observer = await ConnectionMultiplexer.ConnectAsync(fixture.Redis.ConnectionString + ",allowAdmin=true,name=observer");
        var server = observer.GetServer(observer.GetEndPoints()[0]);

        var silos = (await server.ClientListAsync()).Where(c => c.Name != "observer").ToArray();

        // A multiplexer is two sockets (commands, subscriptions); the fixture's silos use the test host's clustering.
        Assert.Equal(2 * 2, silos.Length);
    }
}
