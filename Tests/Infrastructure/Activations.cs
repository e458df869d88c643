namespace ReHome.Tests.Infrastructure;

/// <summary>What a cluster holds in memory: live grain activations whose key starts with a prefix.</summary>
public static class Activations
{
    public static async Task<int> WithKeyPrefix(IGrainFactory grains, string prefix)
    {
        var statistics = await grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        return statistics.Count(s => s.GrainId.Key.ToString()!.StartsWith(prefix, StringComparison.Ordinal));
    }
}
