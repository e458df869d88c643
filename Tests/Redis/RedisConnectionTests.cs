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

        // Each silo holds one multiplexer, two sockets (commands, subscriptions); the fixture's silos use the test
        // host's clustering. A connection another test in this collection just closed can stay listed for a moment; an
        // extra connection a silo holds stays for good.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        ClientInfo[] clients;
        while ((clients = await Others()).Length != 2 * 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.True(clients.Length == 2 * 2, $"{clients.Length} connections, not 4: {string.Join(" | ", clients.Select(c => c.Raw))}");

        async Task<ClientInfo[]> Others() => [.. (await server.ClientListAsync()).Where(c => c.Name != "observer")];
    }
}
