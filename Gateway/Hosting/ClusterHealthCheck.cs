using Microsoft.Extensions.Diagnostics.HealthChecks;
using ReHome.Silo;

namespace ReHome.Gateway;

/// <summary>
/// Ready while the cluster answers and has at least one active silo (<see cref="IClusterProbeGrain"/>: not Redis,
/// which viewers and appends do not need). Until the Orleans client first reaches the cluster, a probe fails quietly:
/// that is how every start begins. A singleton, so it remembers what it said.
/// </summary>
internal sealed class ClusterHealthCheck(IClusterClient cluster, ILogger<ClusterHealthCheck> logger) : IHealthCheck
{
    private readonly HealthTransitions _log = new(logger, "the Orleans cluster", quietUntilFirstAnswer: true);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var silos = await ActiveSilos().WaitAsync(TimeSpan.FromSeconds(3), cancellationToken);
            return silos > 0
                ? _log.Healthy($"{silos} active silo(s).")
                : _log.Unhealthy("No active silo.");
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // (A probe whose caller gave up says nothing about the cluster: that cancellation goes up as it came.)
            return _log.Unhealthy("The cluster does not answer.", ex);
        }
    }

    private async Task<int> ActiveSilos()
    {
        IClusterProbeGrain probe;
        try
        {
            probe = cluster.GetGrain<IClusterProbeGrain>(0);
        }
        catch (ArgumentException)
        {
            // No silo of a release with the probe (silos rolled back, or not yet upgraded): ask as those releases did,
            // through the management grain, which reads the membership table in Redis.
            return (await cluster.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Count;
        }

        return await probe.ActiveSilos();
    }
}
