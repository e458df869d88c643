using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using ReHome.Silo;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Hosting;

/// <summary>
/// <c>Metrics:Url</c> beside endpoints set under <c>Kestrel:Endpoints</c> (TLS certificates, say), with which Kestrel
/// ignores URLs added in code.
/// </summary>
public sealed class MetricsUrlTests
{
    [Fact]
    public async Task Metrics_get_their_own_port_beside_configured_endpoints()
    {
        var (main, metrics) = (TestPorts.Next(), TestPorts.Next());
        await using var app = await Start(new()
        {
            ["Kestrel:Endpoints:Main:Url"] = $"http://127.0.0.1:{main}",
            ["Metrics:Url"] = $"http://127.0.0.1:{metrics}",
        });
        using var http = new HttpClient();

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{metrics}/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"http://127.0.0.1:{main}/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{main}/health")).StatusCode);
    }

    [Fact]
    public async Task A_metrics_url_that_is_a_configured_endpoint_is_bound_once()
    {
        var (main, metrics) = (TestPorts.Next(), TestPorts.Next());
        await using var app = await Start(new()
        {
            ["Kestrel:Endpoints:Main:Url"] = $"http://127.0.0.1:{main}",
            ["Kestrel:Endpoints:Scrape:Url"] = $"http://127.0.0.1:{metrics}",
            ["Metrics:Url"] = $"http://127.0.0.1:{metrics}",
        });
        using var http = new HttpClient();

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{metrics}/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"http://127.0.0.1:{main}/metrics")).StatusCode);
    }

    private static async Task<WebApplication> Start(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults();
        var app = builder.Build();
        app.MapServiceDefaults();
        await app.StartAsync();
        return app;
    }
}
