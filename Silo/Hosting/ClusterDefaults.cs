namespace ReHome.Silo;

public static class ClusterDefaults
{
    public const string ClusterId = "rehome";
    public const string ServiceId = "rehome";

    /// <summary>The Redis connection string, or null for the embedded, in-memory mode.</summary>
    public static string? RedisConnectionString(IConfiguration configuration) =>
        configuration["Redis:ConnectionString"] is { Length: > 0 } value ? value : null;
}
