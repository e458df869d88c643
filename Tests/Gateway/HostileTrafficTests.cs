using System.Net.WebSockets;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using ThreadFanout = ReHome.Gateway.Fanout.ThreadFanout;
using ReHome.Gateway.Quotas;
using ReHome.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReHome.Tests.Gateway;

/// <summary>
/// A few seconds of hostile traffic (calls on unknown ids, malformed frames, connection churn past the quotas) leave
/// nothing behind once it stops: no connection counted, no thread joined or subscribed, no activation of a probed id;
/// and an honest viewer gets its whole answer meanwhile. The heap figure of a 60 s soak is in bench/ (<c>hostile</c>).
/// </summary>
[Collection(EdgeGatewayCollection.Name)]
public sealed class HostileTrafficTests(EdgeGatewayFixture gateway, ITestOutputHelper output)
{
    private static readonly TimeSpan Burst = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task Hostile_traffic_leaves_no_state_behind_and_does_not_disturb_an_honest_viewer()
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        var churner = $"churner-{tag}";
        var churnThread = await gateway.NewThread(churner);
        var honestThread = await gateway.NewThread($"alice-{tag}");
        await using var honest = await Viewer.Connect(gateway, $"alice-{tag}");
        await honest.Join(honestThread);
        var streamId = await gateway.Producer.StartStreamAsync(honestThread, "run-" + tag);

        using var stop = new CancellationTokenSource(Burst);
        var probes = Task.WhenAll(Enumerable.Range(0, 4).Select(i => Prober($"mallory-{tag}-{i}", $"probe-{tag}-{i}", stop.Token)));
        var junk = Task.WhenAll(Enumerable.Range(0, 2).Select(i => JunkSender($"junk-{tag}-{i}", stop.Token)));
        var churn = Churner(churner, churnThread, stop.Token);
        var sent = new List<string>();
        while (!stop.IsCancellationRequested)
        {
            sent.Add($"t{sent.Count + 1} ");
            await gateway.Producer.StreamTokenAsync(streamId, sent[^1]);
            await Task.Delay(50, CancellationToken.None); // a model's pace
        }

        int[] counts = [(await probes).Sum(), (await junk).Sum(), await churn];
        await gateway.Producer.EndStreamAsync(streamId, string.Concat(sent));
        output.WriteLine($"probes {counts[0]}, junk frames {counts[1]}, churned connections {counts[2]}, honest tokens {sent.Count}");

        await honest.WaitForDone(streamId);
        Assert.Equal(Enumerable.Range(1, sent.Count).Select(i => (long)i), honest.Tokens(streamId).Select(m => m.Sequence));
        await honest.DisposeAsync();

        var connections = gateway.Services.GetRequiredService<ConnectionCounts>();
        await Eventually.Get(
            async () => (
                Counted: connections.Count(churner) + Enumerable.Range(0, 4).Sum(i => connections.Count($"mallory-{tag}-{i}")),
                Fanout: FanoutState(tag, [churnThread, honestThread]),
                Activations: await Activations.WithKeyPrefix(gateway.Grains, $"probe-{tag}")),
            state => state.Counted == 0 && state.Fanout == (0, 0, 0) && state.Activations == 0,
            TimeSpan.FromSeconds(30), "the gateway holds no state of this test's traffic (viewers, memberships, subscriptions)");
        Assert.True(counts.All(c => c > 0), $"Every kind of traffic should have run: {string.Join(", ", counts)}");
    }

    /// <summary>Calls on unknown ids as fast as answers come back; returns how many were answered.</summary>
    private async Task<int> Prober(string user, string prefix, CancellationToken stop)
    {
        await using var viewer = await Viewer.Connect(gateway, user);
        var answered = 0;
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            try
            {
                _ = i % 2 == 0 ? await viewer.Join($"{prefix}-t{i}") : null;
                _ = i % 2 == 1 ? await viewer.GetTokens($"{prefix}-s{i}", 0) : null;
            }
            catch (HubException)
            {
                answered++;
            }
        }

        return answered;
    }

    /// <summary>Malformed frames over a hand-driven WebSocket, until the server closes it; again and again.</summary>
    private async Task<int> JunkSender(string user, CancellationToken stop)
    {
        string[] junk =
        [
            """{"type":1,"invocationId":"1","target":"GetTokens","arguments":["s","five"]}""",
            """{"type":1,"invocationId":"2","target":"DropAllThreads","arguments":[]}""",
            """{"type":42}""",
            "not json at all",
        ];
        var sent = 0;
        while (!stop.IsCancellationRequested)
        {
            using var socket = await RawHubFrames.Connect(gateway, user);
            await RawHubFrames.Send(socket, junk);
            sent += junk.Length;

            // The last frame is not JSON: the server must close the connection for it.
            var buffer = new byte[4096];
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while ((await socket.ReceiveAsync(buffer, deadline.Token)).MessageType != WebSocketMessageType.Close)
            {
            }
        }

        return sent;
    }

    /// <summary>Connections for one user, past the per-user quotas, joined to a thread and dropped; returns how many opened.</summary>
    private async Task<int> Churner(string user, string threadId, CancellationToken stop)
    {
        var opened = 0;
        while (!stop.IsCancellationRequested)
        {
            var viewers = new List<Viewer>();
            for (var i = 0; i < EdgeGatewayFixture.ConnectionsPerUser + 2; i++)
            {
                try
                {
                    var viewer = await Viewer.Connect(gateway, user);
                    viewers.Add(viewer);
                    opened++;
                    await viewer.Join(threadId);
                }
                catch (HttpRequestException)
                {
                    // Past the quota: refused at negotiate, as it should be.
                }
                catch (HubException refused) when (Viewer.ServerMessage(refused).StartsWith("rate_limited: ", StringComparison.Ordinal))
                {
                    // The user's call rate, which a new connection does not refill.
                }
            }

            foreach (var viewer in viewers)
            {
                await viewer.DisposeAsync();
            }
        }

        return opened;
    }

    /// <summary>
    /// This test's viewers (every user it connects has <paramref name="tag"/> in its name), their thread memberships,
    /// and this gateway's subscriptions to the test's threads. Only the test's own: other tests share the gateway, and
    /// their disconnects finish after their clients are gone. Read from the gateway itself, not from /metrics: the meters
    /// of every gateway the test process hosts add up there.
    /// </summary>
    private (int Viewers, int Memberships, int Subscriptions) FanoutState(string tag, string[] threads)
    {
        var fanout = gateway.Services.GetRequiredService<ThreadFanout>();
        var viewers = fanout.Viewers.Where(v => v.UserId?.Contains(tag, StringComparison.Ordinal) == true).ToList();
        var channels = fanout.Channels.Count(c => threads.Contains(c.ThreadId) || c.ThreadId.Contains(tag, StringComparison.Ordinal));
        return (viewers.Count, viewers.Sum(v => v.ThreadCount), channels);
    }
}
