using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using ReHome.Gateway;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Redis;

public sealed class ClientModeGatewayTests
{
    [SkippableFact]
    public async Task With_redis_configured_the_gateway_is_a_client_and_has_no_dev_endpoints()
    {
        var binary = RedisServer.FindBinary();
        Skip.If(binary is null, "redis-server is not installed, so this test is skipped (under CI=true it fails instead).");
        await using var redis = await RedisServer.Start(binary);
        var port = TestPorts.Next();
        var app = GatewayApp.Create([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Redis:ConnectionString"] = redis.ConnectionString,
                ["Auth:SigningKey"] = "test-signing-key-that-is-at-least-32-bytes-long",
                ["Orleans:ClusterId"] = "no-silos-" + Guid.NewGuid().ToString("N"),
            });
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        });

        // No silo runs, so the Orleans client keeps retrying; Kestrel answers meanwhile.
        using var starting = new CancellationTokenSource();
        var start = app.StartAsync(starting.Token);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await Eventually.True(async () =>
            {
                try
                {
                    return (await http.GetAsync("/health")).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            });

            Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync("/dev/token?userId=alice", null)).StatusCode);
            // It hosts no silo, so no dashboard either, and never an open one (even listening on loopback only).
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/dashboard/")).StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/health/ready")).StatusCode);
        }
        finally
        {
            await starting.CancelAsync();
            await Task.WhenAny(start, Task.Delay(TimeSpan.FromSeconds(10)));
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Orleans logs nothing of a Redis it cannot reach: the gateway must say why it is not ready.</summary>
    [Fact]
    public async Task A_gateway_that_cannot_reach_the_cluster_says_why_while_it_keeps_trying()
    {
        var logs = new CapturedLogs();
        var app = GatewayApp.Create([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                // Nothing listens there.
                ["Redis:ConnectionString"] = $"127.0.0.1:{TestPorts.Next()},connectTimeout=500",
                ["Auth:SigningKey"] = "test-signing-key-that-is-at-least-32-bytes-long",
            });
            builder.WebHost.UseUrls($"http://127.0.0.1:{TestPorts.Next()}");
            builder.Logging.AddProvider(logs);
        });

        using var starting = new CancellationTokenSource();
        var start = app.StartAsync(starting.Token);
        try
        {
            await Eventually.True(() => Task.FromResult(logs.Entries.Any(e => e.Level == LogLevel.Warning
                    && e.Message.Contains("Not connected to the cluster", StringComparison.Ordinal) && e.Message.Contains("Redis:ConnectionString", StringComparison.Ordinal))),
                TimeSpan.FromSeconds(30), "the gateway warns that it cannot connect, naming the setting");
        }
        finally
        {
            await starting.CancelAsync();
            await Task.WhenAny(start, Task.Delay(TimeSpan.FromSeconds(10)));
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1025")]
    public void A_relay_count_no_silo_can_have_stops_the_gateway_at_start_and_names_the_setting(string queueCount)
    {
        var error = Assert.ThrowsAny<Exception>(() => GatewayApp.Create([], builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = "127.0.0.1:1",
            ["Auth:SigningKey"] = "test-signing-key-that-is-at-least-32-bytes-long",
            ["Streams:QueueCount"] = queueCount,
        })));

        Assert.Contains($"Streams:QueueCount is {queueCount}", error.ToString());
    }

    [Fact]
    public void With_redis_configured_a_missing_signing_key_stops_the_gateway_at_start()
    {
        var app = GatewayApp.Create([], builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = "127.0.0.1:1",
        }));

        var error = Assert.ThrowsAny<Exception>(() => app.StartAsync().GetAwaiter().GetResult());

        Assert.Contains("Auth:SigningKey", error.ToString());
    }
}
