using Orleans.Concurrency;
using Orleans.Runtime;

namespace ReHome.Grains;

/// <summary>
/// See <see cref="IClusterProbeGrain"/>. A stateless worker: activated on the silo that takes the call, with no
/// directory entry and no storage, and answered from that silo's membership view (which, unlike the management
/// grain's <c>GetHosts</c>, it does not refresh from the membership table first). One worker per silo, kept until
/// the activation is collected: idle-worker removal would wake the silo every 500 ms to look for idle workers.
/// </summary>
[GrainType("rehome-cluster-probe"), StatelessWorker(1, removeIdleWorkers: false)]
internal sealed class ClusterProbeGrain(ISiloStatusOracle membership) : Grain, IClusterProbeGrain
{
    public ValueTask<int> ActiveSilos() => ValueTask.FromResult(membership.GetApproximateSiloStatuses(onlyActive: true).Count);
}
