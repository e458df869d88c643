using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using ReHome.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReHome.Tests.Faults;

[Collection(ProcessClusterCollection.Name)]
public sealed class RedisOutageTests(ProcessClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);

    [SkippableFact]
    public async Task Streams_keep_flowing_through_a_ten_second_Redis_outage_and_what_they_store_after_it_is_right()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        await fixture.EnsureHealthy();
        var client = fixture.Cluster.Client;
        var producer = fixture.Cluster.Producer;
        var thread = "t-" + Guid.NewGuid().ToString("N")[..10];
        await producer.ConfigureThreadAsync(thread, new ThreadAccess("ws", "proj", "owner", []));

        // 16 s of tokens: they start before the outage and end after it.
        await using var load = await StreamLoad.Start(fixture, streams: 10, viewersPerStream: 1, tokensPerStream: 800);
        await load.WaitSent(75);

        // The owner's tab, and a stream it will stop during the outage.
        var toStop = await producer.StartStreamAsync(thread, "r-stop");
        await using var tab = new HubConnectionBuilder()
            .WithUrl(new Uri(fixture.GatewayUrls[0], HubContract.Path), o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.AccessTokenProvider = () => Task.FromResult<string?>(ViewerToken.Sign(fixture.SigningKey, "owner", TimeSpan.FromHours(1)));
            })
            .Build();
        await tab.StartAsync();
        await tab.InvokeAsync<ThreadStream[]>(HubContract.JoinThread, thread);

        var downAt = Stopwatch.GetTimestamp();
        await fixture.Redis.Shutdown();

        // A stream started during the outage, straight on the grain (as the first attempt of any producer) and
        // through the producer SDK (which retries what it judges transient).
        var grainStart = Timed.Outcome(() => client.GetGrain<IStreamGrain>("s-down-" + Guid.NewGuid().ToString("N")).Start(thread, "r-down-1"));
        var sdkStart = Timed.Outcome(() => producer.StartStreamAsync(thread, "r-down-2"));
        var raw = await grainStart;

        // And through the HTTP API: a 503 problem saying nothing changed, not a 500 or a hang.
        using var http = new HttpClient { BaseAddress = fixture.GatewayUrls[0], Timeout = TimeSpan.FromSeconds(8) };
        http.DefaultRequestHeaders.Add("X-Service-Key", fixture.ServiceKey);
        var httpStarted = Stopwatch.GetTimestamp();
        var httpStart = await http.PostAsJsonAsync("/api/v1/streams", new { threadId = thread, runId = "r-down-3" });
        var httpTook = Stopwatch.GetElapsedTime(httpStarted);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, httpStart.StatusCode);
        var problem = await httpStart.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(problem.GetProperty("code").GetString(), new[] { "unavailable", "storage_unavailable" });

        // The gateway still serves its viewers and the appends of running streams: its readiness must not take it
        // out of the load balancer (every gateway at once) for a Redis outage.
        var ready = await http.GetAsync("/health/ready");
        Assert.True(ready.IsSuccessStatusCode, $"The gateway's readiness during the outage: {(int)ready.StatusCode} {await ready.Content.ReadAsStringAsync()}");

        // A producer taking over a running stream asks where it stands, which needs storage's word: a 503 too.
        var position = await http.GetAsync($"/api/v1/streams/{load.StreamIds.First()}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, position.StatusCode);
        var positionProblem = await position.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(positionProblem.GetProperty("code").GetString(), new[] { "unavailable", "storage_unavailable" });

        // Stopping a stream needs its end stored: the hub says `unavailable`, its one code for "try again",
        // without the storage's own error.
        var stop = await Assert.ThrowsAsync<HubException>(() => tab.InvokeAsync<CancelStreamResult>(HubContract.CancelStream, toStop, "outage"));
        Assert.StartsWith("unavailable: ", Viewer.ServerMessage(stop));

        var left = Outage - Stopwatch.GetElapsedTime(downAt);
        if (left > TimeSpan.Zero)
        {
            // The outage itself: Redis stays down this long whatever else happens.
            await Task.Delay(left);
        }

        await fixture.Redis.Start();
        var upAt = Stopwatch.GetTimestamp();
        var sdk = await sdkStart;
        // The SDK retries a start that could not be stored until its retry timeout (60 s): it lands once Redis is back.
        Assert.Equal("success", sdk.Outcome);

        // The same stop, repeated once Redis is back, ends the stream.
        var stopped = await Patiently.Call(() => tab.InvokeAsync<CancelStreamResult>(HubContract.CancelStream, toStop, "outage"));
        Assert.True(stopped.Cancelled);

        await load.Finish(TimeSpan.FromSeconds(60));
        await load.Verify();
        Assert.All(fixture.Silos.Concat(fixture.Gateways), p => Assert.True(p.IsRunning, $"{p.Name} survived the outage"));

        // What was stored after Redis came back is what a fresh activation reads.
        await client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        await load.Verify();

        // A stream started after the outage works end to end, and survives deactivation too.
        var after = await producer.StartStreamAsync(thread, "r-after");
        foreach (var token in new[] { "after ", "the ", "outage" })
        {
            await producer.StreamTokenAsync(after, token);
        }

        Assert.True(await producer.EndStreamAsync(after));
        await client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var page = await client.GetGrain<IStreamGrain>(after).GetTokens(0);
        Assert.Equal(["after ", "the ", "outage"], page.Tokens);
        Assert.Equal("after the outage", page.FullResponse);

        var (longest, _, _) = load.Stalls();
        FaultReport.Write(output, "redis outage", $"Redis down {Stopwatch.GetElapsedTime(downAt, upAt).TotalSeconds:0.0} s; " +
            $"a stream started on the grain during it got {raw.Outcome} after {raw.Took.TotalSeconds:0.0} s; through the HTTP API " +
            $"{(int)httpStart.StatusCode} {problem.GetProperty("code").GetString()} after {httpTook.TotalSeconds:0.0} s; through the SDK " +
            $"(retry timeout 60 s) {sdk.Outcome} after {sdk.Took.TotalSeconds:0.0} s; {load.StallEnds(downAt)}; {load.Summary()}");
        Assert.True(longest < TimeSpan.FromSeconds(5), $"Running streams stalled {longest.TotalSeconds:0.0} s during the outage. {load.Summary()}");
        Assert.True(raw.Took < TimeSpan.FromSeconds(8), $"A start during the outage took {raw.Took.TotalSeconds:0.0} s to answer.");
    }
}
