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
    public static void AddTo(WebApplicationBuilder builder) => builder.AddReHomeSilo();
}
