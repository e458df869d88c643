namespace ReHome.Tests.Infrastructure;

/// <summary>
/// A cluster with short lifetimes and low limits, so expiry and rate limits show within a test. The lifetimes leave
/// a loaded machine's pauses room: a test that expects its stream open makes a few calls in a row. The periodic
/// checkpoint is an hour away, so what storage holds is what the stream's own writes stored.
/// </summary>
public sealed class TightLimitsFixture : ClusterFixture
{
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan Retention = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan TombstoneRetention = TimeSpan.FromSeconds(3);
    public const int TokenBurst = 5;
    public const int StartsPerMinute = 3;
    public const int HistoryTokens = 3;

    protected override short SiloCount => 1;

    protected override Dictionary<string, string?> Settings => new()
    {
        ["Streams:StreamIdleTimeout"] = IdleTimeout.ToString(),
        ["Streams:DoneRetention"] = Retention.ToString(),
        ["Streams:TombstoneRetention"] = TombstoneRetention.ToString(),
        ["Streams:MaxTokensPerSecond"] = "0.5",
        ["Streams:TokenBurst"] = TokenBurst.ToString(),
        ["Streams:StreamStartsPerThreadPerMinute"] = StartsPerMinute.ToString(),
        ["Streams:MaxHistoryTokens"] = HistoryTokens.ToString(),
        ["Streams:CheckpointInterval"] = "01:00:00",
    };
}

[CollectionDefinition(Name)]
public sealed class TightLimitsCollection : ICollectionFixture<TightLimitsFixture>
{
    public const string Name = "tight limits";
}
