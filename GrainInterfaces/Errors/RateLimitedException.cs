namespace ReHome;

/// <summary>Too many requests: a stream's token rate or a thread's stream starts. Nothing was stored.</summary>
[GenerateSerializer, Alias("rehome.RateLimitedException")]
public sealed class RateLimitedException(string limit, TimeSpan retryAfter)
    : ReHomeException("rate_limited", $"Too many requests ({limit}); retry after {retryAfter.TotalMilliseconds:0} ms.")
{
    [Id(0)]
    public string Limit { get; private set; } = limit;

    [Id(1)]
    public TimeSpan RetryAfter { get; private set; } = retryAfter;
}
