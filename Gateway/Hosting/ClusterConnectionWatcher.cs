namespace ReHome.Gateway;

/// <summary>
/// Hears from the Orleans client when its connection to the cluster drops or recovers. After a silo disappears,
/// deliveries in flight through it are lost, so the fan-out probes stalled streams quickly for a while. (The thread
/// feeds hear of the same changes themselves and check their relays: <see cref="ReHome.Feed.ThreadFeedConsumer"/>.)
/// A gateway that hosts a silo has no client connection; it hears of lost silos from <see cref="SiloMembershipWatcher"/>.
/// </summary>
internal sealed partial class ClusterConnectionWatcher(ILogger<ClusterConnectionWatcher> logger, IHostApplicationLifetime lifetime) : IClusterConnectionStatusObserver
{
    /// <summary>Raised when fewer silos are reachable than before: one died or is leaving.</summary>
    public event Action? SiloLost;

    public void NotifyClusterConnectionLost()
    {
        // The client closes its connections when the gateway stops: that loss is the plan, not a fault.
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            LogClosed();
        }
        else
        {
            LogLost();
        }
    }

    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        LogGatewayCount(previousNumberOfGateways, currentNumberOfGateways, connectionRecovered);
        if (currentNumberOfGateways < previousNumberOfGateways)
        {
            OnSiloLost();
        }
    }

    public void OnSiloLost() => SiloLost?.Invoke();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the connection to the cluster.")]
    private partial void LogLost();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Closed the connection to the cluster as the gateway stops.")]
    private partial void LogClosed();

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster gateways went from {Previous} to {Current} (recovered: {Recovered}).")]
    private partial void LogGatewayCount(int previous, int current, bool recovered);
}
