using Orleans.Concurrency;
using Orleans.Runtime;

namespace ReHome.Grains;

/// <summary>
/// See <see cref="IClusterProbeGrain"/>. A stateless worker: activated on the silo that takes the call, with no
/// directory entry and no storage, and answered from that silo's membership view (which, unlike the management
/// grain's <c>GetHosts</c>, it does not refresh from the membership table first).
/// </summary>
[GrainType("rehome-cluster-probe"), StatelessWorker]
internal sealed class ClusterProbeGrain(ISiloStatusOracle membership) : Grain, IClusterProbeGrain
{
    public ValueTask<int> ActiveSilos() => ValueTask.FromResult(membership.GetApproximateSiloStatuses(onlyActive: true).Count);
}
