using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Operations;

/// <summary>
/// In cluster mode the dashboard lives on the silos: a real silo process clustered through a real redis-server,
/// with <c>/metrics</c> on its own port behind a key. The dashboard asks for its own credential whatever else is
/// set, the metrics key does not open it, and the metrics port does not serve it.
/// </summary>
public sealed class ClusterDashboardTests
{
    private const string Password = "cluster-dashboard-password";
    private const string MetricsKey = "cluster-metrics-key-0123456789";

    [SkippableFact]
    public async Task A_silos_dashboard_needs_its_credential_and_is_not_served_on_the_metrics_port()
    {
        var binary = RedisServer.FindBinary();
        Skip.If(binary is null, "redis-server is not installed (apt-get install redis-server).");
        await using var redis = await RedisServer.Start(binary!);
        var logs = Directory.CreateTempSubdirectory("rehome-dashboard-").FullName;
        var main = new Uri($"http://127.0.0.1:{TestPorts.Next()}");
        var metrics = new Uri($"http://127.0.0.1:{TestPorts.Next()}");
        await using var silo = ChildProcess.Dotnet("silo", BuiltApps.Silo, new Dictionary<string, string>
        {
            ["Redis__ConnectionString"] = redis.ConnectionString,
            ["Orleans__ClusterId"] = "dashboard-" + Guid.NewGuid().ToString("N"),
            ["Silo__Port"] = TestPorts.Next().ToString(),
            ["Silo__GatewayPort"] = TestPorts.Next().ToString(),
            ["Urls"] = main.ToString().TrimEnd('/'),
            ["Metrics__Url"] = metrics.ToString().TrimEnd('/'),
            ["Metrics__Key"] = MetricsKey,
            ["Dashboard__Password"] = Password,
        }, logs, httpBase: main.ToString()).Start();
        await silo.WaitHealthy("/health/ready");
        using var http = new HttpClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await Get(http, new Uri(main, "/dashboard/"), null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get(http, new Uri(main, "/dashboard/"), new("Bearer", MetricsKey))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Get(http, new Uri(metrics, "/dashboard/"), Basic())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Get(http, new Uri(main, "/dashboard/"), Basic())).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get(http, new Uri(metrics, "/metrics"), Basic())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Get(http, new Uri(metrics, "/metrics"), new("Bearer", MetricsKey))).StatusCode);
        Directory.Delete(logs, recursive: true);
    }

    private static AuthenticationHeaderValue Basic() =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + Password)));

    private static async Task<HttpResponseMessage> Get(HttpClient http, Uri uri, AuthenticationHeaderValue? credential)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Authorization = credential;
        return await http.SendAsync(request);
    }
}
