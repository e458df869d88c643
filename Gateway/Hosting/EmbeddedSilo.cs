using ReHome.Gateway.Demo;
using ReHome.Silo;

namespace ReHome.Gateway;

/// <summary>
/// The embedded mode: the gateway process also runs a silo, in memory on localhost, so
/// <c>dotnet run --project Gateway</c> works with no setup. This is the only place the gateway hosts silo code;
/// otherwise it takes from the Silo project only what every ReHome process shares (<c>ServiceDefaults</c>,
/// <c>ClusterDefaults</c>).
/// </summary>
internal static class EmbeddedSilo
{
    public static void AddTo(WebApplicationBuilder builder) =>
        builder.AddReHomeSilo(openDashboard: OpenDashboard(builder.Configuration));

    /// <summary>The Orleans dashboard is open (no credential) where the dev endpoints are: embedded, on loopback only.</summary>
    public static bool OpenDashboard(IConfiguration configuration) => DevEndpoints.Allowed(configuration);

    /// <summary>The dashboard's page at <c>/dashboard</c>, when this gateway hosts a silo.</summary>
    public static void MapDashboard(WebApplication app)
    {
        if (ClusterHosting.IsEmbedded(app.Configuration))
        {
            app.MapReHomeDashboard(OpenDashboard(app.Configuration));
        }
    }
}
