namespace ReHome.Tests.Infrastructure;

/// <summary>Redis-backed silos whose threads, runs and streams expire within seconds, with reminders that tick every second.</summary>
public sealed class ExpiryRedisFixture : RedisClusterFixture
{
    public static readonly TimeSpan ThreadRetention = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan RunRetention = TimeSpan.FromSeconds(2);

    protected override Dictionary<string, string?> Settings => new(base.Settings)
    {
        ["Streams:ThreadRetention"] = ThreadRetention.ToString(),
        ["Streams:RunRetention"] = RunRetention.ToString(),
        ["Streams:RetentionCheckPeriod"] = "00:00:01",
        ["Reminders:MinimumReminderPeriod"] = "00:00:01",
    };
}

[CollectionDefinition(Name)]
public sealed class ExpiryRedisCollection : ICollectionFixture<ExpiryRedisFixture>
{
    public const string Name = "expiry redis";
}
