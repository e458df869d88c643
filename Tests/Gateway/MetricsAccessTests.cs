using System.Net;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

/// <summary><c>/metrics</c> on a port of its own (<c>Metrics:Url</c>) and behind a key (<c>Metrics:Key</c>).</summary>
[Collection(EdgeGatewayCollection.Name)]
public sealed class MetricsAccessTests(EdgeGatewayFixture gateway)
{
    [Fact]
    public async Task Metrics_are_served_only_on_their_own_port_and_only_with_the_key()
    {
        // An open connection, so the gateway's own meter has something to export whatever ran before.
        await using var viewer = await Viewer.Connect(gateway, "metrics-" + Guid.NewGuid().ToString("N"));
        using var main = new HttpClient { BaseAddress = gateway.BaseAddress };
        using var metrics = new HttpClient { BaseAddress = gateway.MetricsAddress };
        using var withKey = new HttpClient { BaseAddress = gateway.MetricsAddress };
        withKey.DefaultRequestHeaders.Authorization = new("Bearer", EdgeGatewayFixture.MetricsKey);
        using var wrongKey = new HttpClient { BaseAddress = gateway.MetricsAddress };
        wrongKey.DefaultRequestHeaders.Authorization = new("Bearer", EdgeGatewayFixture.MetricsKey + "x");

        var onMain = await main.GetAsync("/metrics");
        var spoofedHost = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { Host = $"127.0.0.1:{gateway.MetricsAddress.Port}" } };
        spoofedHost.Headers.Authorization = new("Bearer", EdgeGatewayFixture.MetricsKey);
        var onMainWithItsHost = await main.SendAsync(spoofedHost);
        var noKey = await metrics.GetAsync("/metrics");
        var badKey = await wrongKey.GetAsync("/metrics");
        var scraped = await withKey.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.NotFound, onMain.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, onMainWithItsHost.StatusCode);
        await ProblemAssert.Is(noKey, HttpStatusCode.Unauthorized, "unauthorized");
        await ProblemAssert.Is(badKey, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        Assert.Contains("rehome_gateway_connections", await scraped.Content.ReadAsStringAsync());
    }

    /// <summary>Routing matches <c>/metrics</c> in any case and with a trailing slash, so the gate must too.</summary>
    [Theory]
    [InlineData("/Metrics")]
    [InlineData("/METRICS")]
    [InlineData("/metrics/")]
    public async Task Another_spelling_of_the_metrics_path_is_gated_the_same(string path)
    {
        await using var viewer = await Viewer.Connect(gateway, "metrics-" + Guid.NewGuid().ToString("N"));
        using var main = new HttpClient { BaseAddress = gateway.BaseAddress };
        using var metrics = new HttpClient { BaseAddress = gateway.MetricsAddress };
        using var withKey = new HttpClient { BaseAddress = gateway.MetricsAddress };
        withKey.DefaultRequestHeaders.Authorization = new("Bearer", EdgeGatewayFixture.MetricsKey);

        Assert.Equal(HttpStatusCode.NotFound, (await main.GetAsync(path)).StatusCode);
        await ProblemAssert.Is(await metrics.GetAsync(path), HttpStatusCode.Unauthorized, "unauthorized");
        var scraped = await withKey.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        Assert.Contains("rehome_gateway_connections", await scraped.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_metrics_port_serves_nothing_but_metrics_and_health()
    {
        using var metrics = new HttpClient { BaseAddress = gateway.MetricsAddress };
        metrics.DefaultRequestHeaders.Add("X-Service-Key", GatewayFixture.ServiceKey);

        Assert.Equal(HttpStatusCode.OK, (await metrics.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await metrics.GetAsync("/api/v1/threads/t-1/streams")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await metrics.PostAsync(HubContract.Path + "/negotiate?negotiateVersion=1", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await metrics.PostAsync("/dev/token?userId=alice", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await metrics.GetAsync("/")).StatusCode);
    }
}
