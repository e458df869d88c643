using System.Threading.RateLimiting;

namespace ReHome.Gateway.Quotas;

/// <summary>
/// The gateway's client rates, each a token bucket per key from ASP.NET Core's rate limiter: hub calls per
/// connection, producer API requests per service key, Pusher token page requests per client address.
/// </summary>
internal static class TokenBuckets
{
    /// <summary>
    /// A bucket per key, refilled by <paramref name="perSecond"/> each second up to <paramref name="burst"/>. The
    /// limiter refills them all from one timer and drops a bucket that has been full (idle) for a while, so a key
    /// seen once (a closed connection, a passing address) does not stay.
    /// </summary>
    public static PartitionedRateLimiter<string> PerKey(int perSecond, int burst)
    {
        var options = Options(perSecond, burst);
        return PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => options));
    }

    /// <summary>One key's bucket: no queueing, a request over the rate is refused at once.</summary>
    public static TokenBucketRateLimiterOptions Options(int perSecond, int burst) => new()
    {
        TokenLimit = burst,
        TokensPerPeriod = perSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    /// <summary>When a refused request may try again, as its lease says; a second when it does not say.</summary>
    public static TimeSpan RetryAfter(RateLimitLease refused) =>
        refused.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
}
