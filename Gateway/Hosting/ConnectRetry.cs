namespace ReHome.Gateway;

/// <summary>
/// Keeps the gateway's Orleans client connecting while the silos come up, rather than failing the gateway, and says
/// why it waits: Orleans logs only "no gateways found", not a Redis that refuses or a connection string it cannot use.
/// </summary>
internal sealed partial class ConnectRetry(ILogger<ConnectRetry> logger) : IClientConnectionRetryFilter
{
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);

    /// <summary>The first failure is logged, then every tenth, so a long outage logs about once in ten seconds.</summary>
    private const int LogEvery = 10;

    private int _attempts;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        var attempts = Interlocked.Increment(ref _attempts);
        if (attempts == 1 || attempts % LogEvery == 0)
        {
            LogNotConnected(exception, attempts);
        }

        await Task.Delay(Delay, cancellationToken);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not connected to the cluster after {Attempts} attempt(s); retrying every second. "
        + "Check Redis:ConnectionString, and that a silo with the same Orleans:ClusterId is up.")]
    private partial void LogNotConnected(Exception exception, int attempts);
}
