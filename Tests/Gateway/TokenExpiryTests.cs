using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.IdentityModel.JsonWebTokens;
using ReHome.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReHome.Tests.Gateway;

/// <summary>Access ends with the token: an open connection stops receiving soon after its <c>exp</c>.</summary>
[Collection(GatewayCollection.Name)]
public sealed class TokenExpiryTests(GatewayFixture gateway, ITestOutputHelper output)
{
    /// <summary>
    /// The gateway checks expiry every second; the rest is slack for a loaded machine. What this guards against, a
    /// connection outliving its token, never closes at all.
    /// </summary>
    internal static readonly TimeSpan ExpiryBound = TimeSpan.FromSeconds(6);

    [Fact]
    public async Task An_open_connection_stops_receiving_within_seconds_of_its_tokens_exp()
    {
        var threadId = await gateway.NewThread("alice");
        var token = gateway.TokenFor("alice", TimeSpan.FromSeconds(3));
        var expiresAt = new JsonWebToken(token).ValidTo;
        var received = new ConcurrentQueue<DateTime>();
        var closed = new TaskCompletionSource<(DateTime At, Exception? Error)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var connection = gateway.ConnectionWithToken(() => token);
        connection.On<TokenMessage>(HubContract.TokenEvent, _ => received.Enqueue(DateTime.UtcNow));
        connection.On<TokenMessage[]>(HubContract.TokensEvent, batch => received.Enqueue(DateTime.UtcNow));
        connection.Closed += error =>
        {
            closed.TrySetResult((DateTime.UtcNow, error));
            return Task.CompletedTask;
        };
        await connection.StartAsync();
        await connection.InvokeAsync<ThreadStream[]>(HubContract.JoinThread, threadId);

        using var producing = new CancellationTokenSource();
        var producer = Produce(threadId, producing.Token);
        var (closedAt, _) = await closed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await producing.CancelAsync();
        await producer;

        output.WriteLine($"exp {expiresAt:HH:mm:ss.fff}, closed {closedAt:HH:mm:ss.fff} ({(closedAt - expiresAt).TotalMilliseconds:F0} ms after exp), last token {received.Last():HH:mm:ss.fff}, {received.Count} receipts");
        Assert.NotEmpty(received);
        Assert.InRange(closedAt - expiresAt, TimeSpan.FromSeconds(-1), ExpiryBound);
        Assert.All(received, at => Assert.True(at <= expiresAt + ExpiryBound, $"A token arrived at {at:HH:mm:ss.fff}, past exp + {ExpiryBound.TotalSeconds} s."));
    }

    [Fact]
    public async Task A_token_past_its_exp_by_less_than_the_usual_clock_skew_is_refused()
    {
        // JwtBearer would admit it for 30 s more by default; access here ends at exp.
        var token = GatewayFixture.SignedToken("alice", DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddSeconds(-2));
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        await using var connection = gateway.Connection(null, b => b.WithUrl(new Uri(gateway.BaseAddress, HubContract.Path), o =>
        {
            o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            o.SkipNegotiation = true; // straight to the WebSocket, which carries the token in its query string
            o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
        }));

        var negotiate = await http.PostAsync(HubContract.Path + "/negotiate?negotiateVersion=1", null);
        var webSocket = await Assert.ThrowsAnyAsync<Exception>(() => connection.StartAsync());

        await ProblemAssert.Is(negotiate, System.Net.HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Contains("401", webSocket.ToString());
    }

    [Fact]
    public async Task With_fresh_tokens_a_client_reconnects_after_each_expiry_rejoins_and_misses_nothing()
    {
        var threadId = await gateway.NewThread("alice");
        var tokensIssued = 0;
        var reconnects = 0;
        var pushed = new ConcurrentQueue<TokenMessage>();
        var fetched = new ConcurrentQueue<(long First, string[] Tokens)>();
        await using var connection = gateway.ConnectionWithToken(
            () =>
            {
                Interlocked.Increment(ref tokensIssued);
                return gateway.TokenFor("alice", TimeSpan.FromSeconds(2));
            },
            b => b.WithAutomaticReconnect([TimeSpan.Zero, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1)]));
        connection.On<TokenMessage>(HubContract.TokenEvent, pushed.Enqueue);
        connection.On<TokenMessage[]>(HubContract.TokensEvent, batch => Array.ForEach(batch, pushed.Enqueue));
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        connection.Reconnected += async _ =>
        {
            // What the browser client does: join again (memberships die with a connection), then fetch the gap.
            Interlocked.Increment(ref reconnects);
            await connection.InvokeAsync<ThreadStream[]>(HubContract.JoinThread, threadId);
            var last = pushed.Where(m => m.StreamId == streamId && !m.Done).Select(m => m.Sequence).DefaultIfEmpty(0).Max();
            var page = await connection.InvokeAsync<TokenPageMessage>(HubContract.GetTokens, streamId, last);
            fetched.Enqueue((page.FirstSequence, page.Tokens));
        };
        await connection.StartAsync();
        await connection.InvokeAsync<ThreadStream[]>(HubContract.JoinThread, threadId);

        // About seven seconds of tokens: three or more expiries of two-second tokens.
        var sent = Enumerable.Range(1, 140).Select(i => $"t{i} ").ToList();
        foreach (var token in sent)
        {
            await gateway.Producer.StreamTokenAsync(streamId, token);
            await Task.Delay(50); // a model's pace, not a wait for anything
        }

        await gateway.Producer.EndStreamAsync(streamId, string.Concat(sent));
        await Eventually.True(() => Task.FromResult(Merged(streamId, pushed, fetched).Count == sent.Count), TimeSpan.FromSeconds(20), "every token, pushed or fetched");

        var merged = Merged(streamId, pushed, fetched);
        output.WriteLine($"{reconnects} reconnects, {tokensIssued} tokens issued, {fetched.Count} gap fetches");
        Assert.True(reconnects >= 2, $"Expected the connection to be closed at each expiry and reconnect; it reconnected {reconnects} times.");
        Assert.Equal(Enumerable.Range(1, sent.Count).Select(i => (long)i), merged.Keys);
        Assert.Equal(sent, merged.Values);
    }

    private static SortedDictionary<long, string> Merged(string streamId, IEnumerable<TokenMessage> pushed, IEnumerable<(long First, string[] Tokens)> fetched)
    {
        var merged = new SortedDictionary<long, string>();
        foreach (var m in pushed.Where(m => m.StreamId == streamId && !m.Done))
        {
            Assert.True(merged.TryAdd(m.Sequence, m.Token!) || merged[m.Sequence] == m.Token, $"sequence {m.Sequence} arrived with two texts");
        }

        foreach (var (first, tokens) in fetched)
        {
            for (var i = 0; i < tokens.Length; i++)
            {
                merged.TryAdd(first + i, tokens[i]);
            }
        }

        return merged;
    }

    private async Task Produce(string threadId, CancellationToken stop)
    {
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        for (var i = 1; !stop.IsCancellationRequested; i++)
        {
            await gateway.Producer.StreamTokenAsync(streamId, $"t{i} ");
            await Task.Delay(50, CancellationToken.None); // a model's pace
        }

        await gateway.Producer.EndStreamAsync(streamId);
    }
}
