using StackExchange.Redis;

namespace ReHome.Tests.Infrastructure;

/// <summary>
/// Two in-process silos whose grain state, stream subscriptions and reminders live in a real redis-server.
/// When redis-server is missing locally the fixture stays empty and the tests skip with a message saying so.
/// </summary>
public class RedisClusterFixture : ClusterFixture
{
    private RedisServer? _redis;

    public string? SkipReason { get; private set; }

    public RedisServer Redis => _redis ?? throw new InvalidOperationException(SkipReason);

    protected override Dictionary<string, string?> Settings => new()
    {
        ["Redis:ConnectionString"] = _redis!.ConnectionString,
        ["Streams:DoneRetention"] = "00:00:02",
        ["Streams:TombstoneRetention"] = "00:00:03",
    };

    public override async Task InitializeAsync()
    {
        var binary = RedisServer.FindBinary();
        if (binary is null)
        {
            SkipReason = "redis-server is not installed, so the Redis tests are skipped (install it with apt-get install redis-server; under CI=true this fails instead).";
            return;
        }

        _redis = await RedisServer.Start(binary);
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    /// <summary>The Redis keys that hold this grain's state (Orleans names them after the grain id).</summary>
    public async Task<RedisKey[]> StateKeys(string grainKeyFragment)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString);
        var server = connection.GetServer(connection.GetEndPoints()[0]);
        return [.. server.Keys(pattern: $"*{grainKeyFragment}*")];
    }
}

[CollectionDefinition(Name)]
public sealed class RedisClusterCollection : ICollectionFixture<RedisClusterFixture>
{
    public const string Name = "redis cluster";
}
