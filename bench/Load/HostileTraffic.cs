using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using ReHome.Bench.Hosting;

namespace ReHome.Bench.Load;

/// <summary>
/// What a hostile signed-in user (or a handful of them) can throw at a gateway, all at once, until stopped:
/// <list type="bullet">
/// <item><b>joiners</b> — SignalR connections calling <c>JoinThread</c> and <c>GetTokens</c> on fresh unknown ids as fast as they are answered;</item>
/// <item><b>raw sockets</b> — WebSockets speaking the SignalR JSON protocol by hand: calls with wrong argument types and
/// counts, unknown methods, unknown message types, frames that are not JSON, frames over the size limit, bad handshakes;</item>
/// <item><b>churners</b> — connections opened, joined to a thread they may watch, and dropped, over and over, past
/// the per-user connection quota too.</item>
/// </list>
/// Every answer is counted by its kind (the refusal code, a close, an HTTP status), so a run shows what the gateway said.
/// </summary>
internal sealed class HostileTraffic(string gatewayBase, Jwt jwt, string tag)
{
    private const int Users = 4;
    private readonly ConcurrentDictionary<string, long> _outcomes = new();
    private readonly HttpClient _http = new() { BaseAddress = new Uri(gatewayBase), Timeout = TimeSpan.FromSeconds(10) };

    public IReadOnlyDictionary<string, long> Outcomes => _outcomes;

    public string HubUrl => gatewayBase + HubContract.Path;

    public async Task Run(int joiners, int rawSockets, int churners, string churnThread, CancellationToken stop)
    {
        var workers = new List<Task>();
        workers.AddRange(Enumerable.Range(0, joiners).Select(i => Loop(() => Joiner(i, stop), stop)));
        workers.AddRange(Enumerable.Range(0, rawSockets).Select(i => Loop(() => RawSocket(i, stop), stop)));
        workers.AddRange(Enumerable.Range(0, churners).Select(i => Loop(() => Churner(i, churnThread, stop), stop)));
        await Task.WhenAll(workers);
    }

    public string User(int i) => $"mallory-{tag}-{i % Users}";

    private async Task Loop(Func<Task> body, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await body();
            }
            catch (Exception ex) when (stop.IsCancellationRequested || ex is HttpRequestException or WebSocketException or IOException or TimeoutException or OperationCanceledException or InvalidOperationException)
            {
                Count("client error: " + ex.GetType().Name);
            }
        }
    }

    /// <summary>One connection, calling on unknown ids until stopped; refusals are answers, so it goes on.</summary>
    private async Task Joiner(int worker, CancellationToken stop)
    {
        await using var connection = Connection(User(worker));
        await connection.StartAsync(stop);
        for (var i = 0; !stop.IsCancellationRequested && connection.State == HubConnectionState.Connected; i++)
        {
            var id = $"probe-{tag}-{worker}-{i}";
            await Call(() => i % 2 == 0
                ? connection.InvokeAsync<object>(HubContract.JoinThread, "t" + id, stop)
                : connection.InvokeAsync<object>(HubContract.GetTokens, "s" + id, 0L, stop));
        }
    }

    /// <summary>A WebSocket that speaks the protocol by hand and sends what no SignalR client would.</summary>
    private async Task RawSocket(int worker, CancellationToken stop)
    {
        var user = User(worker + 100);
        using var request = new HttpRequestMessage(HttpMethod.Post, HubContract.Path + "/negotiate?negotiateVersion=1");
        request.Headers.Authorization = new("Bearer", jwt.ForUser(user));
        using var negotiated = await _http.SendAsync(request, stop);
        if (!negotiated.IsSuccessStatusCode)
        {
            Count($"negotiate {(int)negotiated.StatusCode}");
            return;
        }

        var connectionToken = (await negotiated.Content.ReadFromJsonAsync<JsonElement>(stop)).GetProperty("connectionToken").GetString();
        using var socket = new ClientWebSocket();
        var url = $"{gatewayBase.Replace("http", "ws", StringComparison.Ordinal)}{HubContract.Path}?id={connectionToken}&access_token={Uri.EscapeDataString(jwt.ForUser(user))}";
        await socket.ConnectAsync(new Uri(url), stop);
        var receiving = ReceiveUntilClosed(socket, stop);
        var round = Random.Shared.Next(8);
        await Send(socket, round == 0 ? """{"protocol":"xml","version":1}""" : """{"protocol":"json","version":1}""", stop);
        var junk = new[]
        {
            """{"type":1,"invocationId":"1","target":"GetTokens","arguments":["s-1","five"]}""",
            """{"type":1,"invocationId":"2","target":"JoinThread","arguments":[1,2,3]}""",
            """{"type":1,"invocationId":"3","target":"DropAllThreads","arguments":[]}""",
            """{"type":1,"invocationId":"4","target":"GetTokens","arguments":["s-1",9223372036854775808]}""",
            """{"type":1,"target":"JoinThread","arguments":[{"nested":[[[[[]]]]]}]}""",
            """{"type":42,"invocationId":"5"}""",
        };
        for (var i = 0; i < 20 && socket.State == WebSocketState.Open && !stop.IsCancellationRequested; i++)
        {
            await Send(socket, junk[(i + worker) % junk.Length], stop);
        }

        // The end of every raw connection is something the server must close it for.
        var ending = round switch
        {
            1 => "this is not JSON",
            2 => new string('x', 100 * 1024), // over the 64 KB message limit
            3 => """{"type":1,"target":""",     // cut short, then the socket drops
            _ => """{"type":7}""",              // a close message
        };
        if (socket.State == WebSocketState.Open)
        {
            await Send(socket, ending, stop);
        }

        var closedByServer = await receiving.WaitAsync(TimeSpan.FromSeconds(2), stop).ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default);
        Count(closedByServer ? "raw socket closed by the server" : "raw socket dropped by the client");
        socket.Abort();
    }

    /// <summary>Opens connections for one user, joins a thread it may watch, and drops them without a goodbye.</summary>
    private async Task Churner(int worker, string thread, CancellationToken stop)
    {
        var user = ChurnUser(worker);
        var connections = new List<HubConnection>();
        try
        {
            // More than the per-user quota: the extra ones are refused at negotiate.
            for (var i = 0; i < 24 && !stop.IsCancellationRequested; i++)
            {
                var connection = Connection(user);
                connections.Add(connection);
                try
                {
                    await connection.StartAsync(stop);
                    await Call(() => connection.InvokeAsync<object>(HubContract.JoinThread, thread, stop));
                    Count("churn connection opened");
                }
                catch (HttpRequestException ex)
                {
                    Count($"churn connection refused ({(int?)ex.StatusCode})");
                }
            }
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    public string ChurnUser(int worker) => $"churner-{tag}-{worker}";

    private HubConnection Connection(string user) => new HubConnectionBuilder()
        .WithUrl(HubUrl, o =>
        {
            o.AccessTokenProvider = () => Task.FromResult<string?>(jwt.ForUser(user));
            o.Transports = HttpTransportType.WebSockets;
        })
        .Build();

    private async Task Call(Func<Task> call)
    {
        try
        {
            await call();
            Count("accepted");
        }
        catch (HubException ex)
        {
            Count("refused " + HubRefusal.Code(ex));
        }
    }

    private static Task Send(ClientWebSocket socket, string frame, CancellationToken stop) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(frame + "\u001e"), WebSocketMessageType.Text, true, stop);

    /// <summary>Reads every answer until the server closes the socket (true) or the socket fails (false).</summary>
    private async Task<bool> ReceiveUntilClosed(ClientWebSocket socket, CancellationToken stop)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, stop);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return true;
                }

                if (result.EndOfMessage)
                {
                    Count("raw socket frames received");
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            return false;
        }
    }

    private void Count(string outcome) => _outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
}
