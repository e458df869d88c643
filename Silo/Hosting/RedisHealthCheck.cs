using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ReHome.Silo;

/// <summary>
/// Ready only while Redis answers a PING, on the connection the silo stores through (<see cref="RedisConnection"/>):
/// every probe uses it, where an instance per probe once opened a connection per probe and never closed it.
/// </summary>
internal sealed class RedisHealthCheck(RedisConnection redis, ILogger<RedisHealthCheck> logger) : IHealthCheck
{
    private readonly HealthTransitions _log = new(logger, "Redis", quietUntilFirstAnswer: false);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var connection = await redis.Get().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            var latency = await connection.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            return _log.Healthy($"PING {latency.TotalMilliseconds:0.0} ms");
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // (A probe whose caller gave up says nothing about Redis: that cancellation goes up as it came.)
            return _log.Unhealthy("Redis does not answer.", ex);
        }
    }
}
