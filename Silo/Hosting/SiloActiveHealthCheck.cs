using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;

namespace ReHome.Silo;

/// <summary>Ready once this silo is an active member of the cluster, and no longer once it shuts down.</summary>
public sealed class SiloActiveHealthCheck(ISiloStatusOracle oracle) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(oracle.CurrentStatus == SiloStatus.Active
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"Silo status is {oracle.CurrentStatus}."));
}
