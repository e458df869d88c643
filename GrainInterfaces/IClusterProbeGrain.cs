using Orleans.Concurrency;

namespace ReHome;

/// <summary>
/// What a gateway's readiness asks the cluster: a silo answers, from its own view of the membership. Nothing is read
/// from storage, so a Redis outage, which running streams ride out, does not take every gateway out of its load
/// balancer too.
/// </summary>
[Alias("rehome.IClusterProbeGrain")]
public interface IClusterProbeGrain : IGrainWithIntegerKey
{
    /// <summary>How many silos the answering silo counts as active.</summary>
    [Alias("ActiveSilos"), ReadOnly]
    ValueTask<int> ActiveSilos();
}
