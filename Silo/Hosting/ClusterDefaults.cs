namespace ReHome.Silo;

/// <summary>Where a silo or a gateway reads which cluster it belongs to, and whether it runs embedded.</summary>
public static class ClusterDefaults
{
    /// <summary><c>Orleans:ClusterId</c>, or the id every client assumes (<see cref="ClientBuilderExtensions.DefaultClusterId"/>).</summary>
    public static string ClusterId(IConfiguration configuration) =>
        configuration["Orleans:ClusterId"] ?? ClientBuilderExtensions.DefaultClusterId;

    /// <summary><c>Orleans:ServiceId</c>, or the id every client assumes (<see cref="ClientBuilderExtensions.DefaultServiceId"/>).</summary>
    public static string ServiceId(IConfiguration configuration) =>
        configuration["Orleans:ServiceId"] ?? ClientBuilderExtensions.DefaultServiceId;

    /// <summary>The Redis connection string, or null for the embedded, in-memory mode.</summary>
    public static string? RedisConnectionString(IConfiguration configuration) =>
        configuration["Redis:ConnectionString"] is { Length: > 0 } value ? value : null;
}
