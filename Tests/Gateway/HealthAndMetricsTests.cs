using System.Diagnostics.Metrics;
using System.Net;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using ReHome.Silo;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

[Collection(GatewayCollection.Name)]
public sealed class HealthAndMetricsTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Liveness_and_readiness_answer_healthy_with_the_cluster_up()
    {
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };

        Assert.Equal("Healthy", await http.GetStringAsync("/health"));
        Assert.Equal("Healthy", await http.GetStringAsync("/health/ready"));
    }

    [Fact]
    public async Task Metrics_expose_the_gateways_instruments_and_orleans_meters()
    {
        var threadId = await gateway.NewThread("alice");
        // This gateway's own connections instrument: /metrics may show another in-process gateway's of the same name.
        using var connections = new CounterProbe(gateway.Services, "rehome.gateway.connections");
        using var delivered = new CounterProbe(gateway.Services, "rehome.gateway.tokens_delivered");
        using var published = new CounterProbe(gateway.Services, "rehome.feed.published_entries");
        using var deliveries = new CounterProbe(gateway.Services, "rehome.feed.deliveries");
        using var deliveredEntries = new CounterProbe(gateway.Services, "rehome.feed.delivered_entries");
        await using var viewer = await Viewer.Connect(gateway, "alice");
        await viewer.Join(threadId);
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "x");
        await gateway.Producer.EndStreamAsync(streamId);
        await viewer.WaitForDone(streamId);
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };

        // What this test did, counted by this gateway's own instruments (/metrics adds up every in-process gateway's).
        await Eventually.True(() => Task.FromResult(delivered.Added >= 2), because: "the token and the done event are delivered");
        Assert.True(published.Added >= 2, $"published entries: {published.Added}");
        Assert.True(deliveries.Added >= 1, $"delivery calls: {deliveries.Added}");
        Assert.True(deliveredEntries.Added >= deliveries.Added, "each delivery call carries one entry or more");

        // And /metrics exposes them, with Orleans' meters.
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("rehome_gateway_connections", metrics);
        Assert.Contains("rehome_gateway_joined_threads", metrics);
        Assert.Contains("rehome_gateway_subscriptions", metrics);
        Assert.Contains("rehome_gateway_delivery_delay_milliseconds_bucket", metrics);
        Assert.Contains("orleans_", metrics);
        Assert.Contains("rehome_gateway_tokens_delivered_total", metrics);
        Assert.Contains("rehome_feed_deliveries_total", metrics);
        Assert.Contains("rehome_feed_delivered_entries_total", metrics);
        Assert.Contains("rehome_feed_published_entries_total", metrics);
        // Added, not the total: an earlier test's connection may close meanwhile.
        Assert.Equal(1, connections.Added);
    }

    [Fact]
    public void Metrics_leave_out_the_orleans_message_size_histograms_and_keep_the_rest_of_its_meter()
    {
        // A provider of its own with the processes' configuration (AddReHomeMetrics), read directly: the shared
        // gateway's /metrics is covered above and depends on slots every host in this test process uses up (see
        // GatewayFixture). Orleans records these two for every message it sends or receives over a connection, which
        // an in-process cluster has none of; so the test records to instruments of its own with the same meter and names.
        var exported = new List<Metric>();
        using (var provider = Sdk.CreateMeterProviderBuilder().AddReHomeMetrics().AddInMemoryExporter(exported).Build())
        {
            using var orleans = new Meter("Microsoft.Orleans");
            orleans.CreateHistogram<int>("orleans-messaging-sent-messages-size", "bytes").Record(100);
            orleans.CreateHistogram<int>("orleans-messaging-received-messages-size", "bytes").Record(100);
            orleans.CreateCounter<int>("orleans-rehome-test-kept").Add(1);
            provider.ForceFlush();
        }

        var names = exported.Select(metric => metric.Name).ToHashSet();
        Assert.Contains("orleans-rehome-test-kept", names);
        Assert.DoesNotContain("orleans-messaging-sent-messages-size", names);
        Assert.DoesNotContain("orleans-messaging-received-messages-size", names);
    }

    [Fact]
    public async Task The_dev_token_endpoint_exists_in_the_embedded_mode()
    {
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };

        var response = await http.PostAsync("/dev/token?userId=alice", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
