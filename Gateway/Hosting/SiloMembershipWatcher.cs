using ReHome.Feed;

namespace ReHome.Gateway;

/// <summary>
/// In a gateway that hosts a silo: hears from cluster membership when another silo stops being active, as an Orleans
/// client hears it from its gateway count, and tells the fan-out (<see cref="ClusterConnectionWatcher.SiloLost"/>) and
/// the thread feeds (which check their relays at once) so that viewers of streams on the lost silo catch up quickly.
/// </summary>
internal sealed partial class SiloMembershipWatcher(
    IClusterMembershipService membership,
    ClusterConnectionWatcher connection,
    ThreadFeedConsumer feeds,
    ILogger<SiloMembershipWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var previous = membership.CurrentSnapshot;
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                var lost = snapshot.CreateUpdate(previous).Changes
                    .Where(m => m.Status != SiloStatus.Active && previous.GetSiloStatus(m.SiloAddress) == SiloStatus.Active)
                    .ToArray();
                previous = snapshot;
                foreach (var member in lost)
                {
                    LogSiloLost(member.SiloAddress, member.Status);
                }

                if (lost.Length > 0)
                {
                    connection.OnSiloLost();
                    feeds.CheckSoon();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {Silo} is no longer active ({Status}).")]
    private partial void LogSiloLost(SiloAddress silo, SiloStatus status);
}
