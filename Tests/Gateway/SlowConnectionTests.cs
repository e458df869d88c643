using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

/// <summary>
/// A gateway whose connections have short queues and a short behind timeout, and whose sockets keep only a small
/// send buffer, so a client that stops reading backs up within a few hundred kilobytes.
/// </summary>
public sealed class SlowConnectionGatewayFixture : GatewayFixture
{
    public const int QueueLimit = 8;
    public static readonly TimeSpan BehindTimeout = TimeSpan.FromSeconds(5);

    public CapturedLogs Logs { get; } = new();

    protected override Dictionary<string, string?> Settings => new()
    {
        ["Gateway:ConnectionQueueLimit"] = QueueLimit.ToString(),
        ["Gateway:BehindTimeout"] = BehindTimeout.ToString(),
    };

    protected override void Configure(WebApplicationBuilder builder)
    {
        UseSmallSendBuffers(builder);
        builder.Logging.AddProvider(Logs);
    }
}

/// <summary>
/// Alone, after the parallel collections: their gateways share this process's meters by name, and its timing is
/// steadier without them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SlowConnectionGatewayCollection : ICollectionFixture<SlowConnectionGatewayFixture>
{
    public const string Name = "gateway with short connection queues";
}

[Collection(SlowConnectionGatewayCollection.Name)]
public sealed class SlowConnectionTests(SlowConnectionGatewayFixture gateway)
{
    [Fact]
    public async Task A_connection_that_stops_reading_is_told_it_is_behind_and_catches_up_gap_free_while_the_others_get_everything()
    {
        var (threadId, healthy, slow) = await Watchers();
        await using var _ = healthy;
        await using var __ = slow;
        using var behind = new CounterProbe(gateway.Services, "rehome.gateway.connections_behind");

        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        var producing = Produce(streamId, tokens: 600);

        // Its queue is cut within the first few hundred kilobytes; then it reads again: what it was sent, then
        // agent.thread.behind, and it fills the rest with GetTokens, as the browser client does.
        await Eventually.True(() => Task.FromResult(behind.Total > 0), because: "the stalled connection's queue was cut");
        var reader = new HubReader(slow, streamId);
        Assert.True(await reader.ReadToEnd(TimeSpan.FromSeconds(30)), "the gateway kept the connection");
        var sent = await producing;
        Assert.True(reader.BehindNotices >= 1);
        Assert.Equal(sent, reader.Tokens);

        var done = await healthy.WaitForDone(streamId, TimeSpan.FromSeconds(30));
        Assert.Equal(sent, healthy.Tokens(streamId).Select(m => m.Token));
        Assert.Equal(string.Concat(sent), done.FullResponse);
    }

    [Fact]
    public async Task A_connection_that_stays_behind_is_disconnected_and_that_is_logged_and_counted()
    {
        var (threadId, healthy, slow) = await Watchers();
        await using var _ = healthy;
        await using var __ = slow;
        using var disconnects = new CounterProbe(gateway.Services, "rehome.gateway.slow_disconnects");

        var (streamId, sent) = await Stream(threadId, tokens: 600);

        await healthy.WaitForDone(streamId, TimeSpan.FromSeconds(30));
        await Eventually.True(() => Task.FromResult(disconnects.Total > 0),
            SlowConnectionGatewayFixture.BehindTimeout + TimeSpan.FromSeconds(20), "the stalled connection was disconnected");
        Assert.Contains(gateway.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.StartsWith("Disconnecting connection", StringComparison.Ordinal) && e.Message.Contains("(user alice)", StringComparison.Ordinal));

        // Reading again, it finds what the kernel held and then the end of the connection.
        var reader = new HubReader(slow, streamId);
        Assert.False(await reader.ReadToEnd(TimeSpan.FromSeconds(30)));
        Assert.True(reader.Tokens.Count < sent.Count);

        // The reader that kept up is still connected and served.
        var (next, more) = await Stream(threadId, tokens: 3);
        await healthy.WaitForDone(next);
        Assert.Equal(more, healthy.Tokens(next).Select(m => m.Token));
    }

    private async Task<(string ThreadId, Viewer Healthy, RawHubSocket Slow)> Watchers()
    {
        var threadId = await gateway.NewThread("alice");
        var healthy = await Viewer.Connect(gateway, "alice");
        await healthy.Join(threadId);
        var slow = await RawHubSocket.Connect(new Uri(gateway.BaseAddress, HubContract.Path), gateway.TokenFor("alice"));
        await slow.Invoke(HubContract.JoinThread, threadId);
        return (threadId, healthy, slow);
    }

    /// <summary>Streams large tokens on a new stream of the thread; see <see cref="Produce"/>.</summary>
    private async Task<(string StreamId, List<string> Sent)> Stream(string threadId, int tokens)
    {
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        return (streamId, await Produce(streamId, tokens));
    }

    /// <summary>Large tokens at 250 a second, so most reach viewers as messages of their own; then the end.</summary>
    private async Task<List<string>> Produce(string streamId, int tokens)
    {
        var sent = Enumerable.Range(1, tokens).Select(i => $"{i:0000}:" + new string('x', 400) + " ").ToList();
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(4));
        var sends = new List<Task<long>>();
        foreach (var token in sent)
        {
            await pace.WaitForNextTickAsync();
            sends.Add(gateway.Producer.StreamTokenAsync(streamId, token));
        }

        await Task.WhenAll(sends);
        await gateway.Producer.EndStreamAsync(streamId, string.Concat(sent));
        return sent;
    }
}
