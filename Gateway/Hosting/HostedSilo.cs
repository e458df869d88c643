using ReHome.Gateway.Demo;
using ReHome.Silo;

namespace ReHome.Gateway;

/// <summary>
/// A silo in the gateway's own process. Without Redis it is the embedded mode: in memory on localhost, so
/// <c>dotnet run --project Gateway</c> works with no setup. With Redis and <see cref="GatewayOptions.HostSilo"/>, it is a
/// member of the Redis cluster like any silo (the co-hosted topology), so tokens of streams active here reach this
/// gateway's viewers without crossing a process boundary. This is the only place the gateway hosts silo code;
/// otherwise it takes from the Silo project only what every ReHome process shares (<c>ServiceDefaults</c>,
/// <c>ClusterDefaults</c>).
/// </summary>
internal static class HostedSilo
{
    public static void AddTo(WebApplicationBuilder builder)
    {
        builder.AddReHomeSilo(openDashboard: OpenDashboard(builder.Configuration));
        builder.Services.AddHealthChecks().AddCheck<SiloActiveHealthCheck>("silo", tags: [ServiceDefaults.ReadyTag]);
        builder.Services.AddHostedService<SiloMembershipWatcher>();
    }

    /// <summary>The Orleans dashboard is open (no credential) where the dev endpoints are: embedded, on loopback only.</summary>
    public static bool OpenDashboard(IConfiguration configuration) => DevEndpoints.Allowed(configuration);

    /// <summary>The dashboard's page at <c>/dashboard</c>, when this gateway hosts a silo.</summary>
    public static void MapDashboard(WebApplication app)
    {
        if (ClusterHosting.HostsSilo(app.Configuration))
        {
            app.MapReHomeDashboard(OpenDashboard(app.Configuration));
        }
    }
}
