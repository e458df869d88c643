using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace ReHome.Silo;

/// <summary>
/// Ready only while Redis answers a PING. One instance for the process (registered as a singleton), so every probe
/// uses the same connection: an instance per probe opened a connection per probe and never closed it.
/// </summary>
internal sealed class RedisHealthCheck(string connectionString, ILogger<RedisHealthCheck> logger) : IHealthCheck, IAsyncDisposable
{
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private readonly HealthTransitions _log = new(logger, "Redis", quietUntilFirstAnswer: false);
    private IConnectionMultiplexer? _connection;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var connection = await Connect();
            var latency = await connection.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            return _log.Healthy($"PING {latency.TotalMilliseconds:0.0} ms");
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // (A probe whose caller gave up says nothing about Redis: that cancellation goes up as it came.)
            return _log.Unhealthy("Redis does not answer.", ex);
        }
    }

    private async Task<IConnectionMultiplexer> Connect()
    {
        if (_connection is { } existing)
        {
            return existing;
        }

        await _connecting.WaitAsync();
        try
        {
            var options = ConfigurationOptions.Parse(connectionString);
            options.AbortOnConnectFail = false;
            return _connection ??= await ConnectionMultiplexer.ConnectAsync(options);
        }
        finally
        {
            _connecting.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }
}
