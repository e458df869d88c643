using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using ReHome.Smoke;
using ReHome.Tests.Infrastructure;
using ReHome.Tests.Pusher;
using Xunit.Abstractions;

namespace ReHome.Tests.Faults;

/// <summary>
/// deploy/nginx/rehome.conf, run by the real nginx in front of the two real gateways: viewers connect through it
/// with one WebSocket request each (as the browser client does) and a token from deploy/demo.sh, land on both
/// gateways with no stickiness, and get every token a backend streams through the same front door; Laravel Echo's
/// Pusher-protocol socket and the token page go through it too.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class NginxRoutingTests(ProcessClusterFixture fixture, ITestOutputHelper output)
{
    [SkippableFact]
    public async Task Through_nginx_viewers_spread_over_both_gateways_without_stickiness_and_see_every_token_in_order()
    {
        await using var nginx = await Nginx.Start(fixture);
        var (front, directory, http) = (nginx.Front, nginx.Directory, nginx.Http);
        var threadId = "t-nginx-" + Guid.NewGuid().ToString("N")[..8];
        (await http.PutAsJsonAsync($"/api/v1/threads/{threadId}", new { ownerUserId = "nginx-viewer", memberUserIds = Array.Empty<string>() })).EnsureSuccessStatusCode();
        // The documented token command (deploy/demo.sh token), signing with the gateways' shared key.
        var token = (await Run("bash", [Path.Combine(GatewayFixture.SolutionDirectory(), "deploy", "demo.sh"), "token", "nginx-viewer", "1"],
            new() { ["REHOME_SIGNING_KEY"] = fixture.SigningKey })).Trim();
        var viewers = new List<ResumingViewer>();
        for (var i = 0; i < 12; i++)
        {
            var viewer = await ResumingViewer.Connect([front], () => token);
            await viewer.Join(threadId);
            viewers.Add(viewer);
        }

        var started = await http.PostAsJsonAsync("/api/v1/streams", new { threadId, runId = "r-" + Guid.NewGuid().ToString("N")[..8] });
        var streamId = (await started.Content.ReadFromJsonAsync<Started>())!.StreamId;
        var tokens = Enumerable.Range(1, 40).Select(i => $"w{i} ").ToArray();
        foreach (var text in tokens)
        {
            (await http.PostAsJsonAsync($"/api/v1/streams/{streamId}/tokens", new { token = text })).EnsureSuccessStatusCode();
        }

        (await http.PostAsJsonAsync($"/api/v1/streams/{streamId}/end", new { })).EnsureSuccessStatusCode();
        await Task.WhenAll(viewers.Select(v => v.Stream(streamId).WhenDone)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(viewers, v => Assert.Equal(tokens, v.Read(streamId, s => s.Tokens.ToArray())));
        Assert.All(viewers, v => Assert.Equal(0, v.Stats.Reconnects));
        await Task.WhenAll(viewers.Select(v => v.DisposeAsync().AsTask()));
        // The demo page's address carries a viewer token too (deploy/demo.sh).
        (await http.GetAsync("/?access_token=demo-page-token&thread=t")).EnsureSuccessStatusCode();

        // nginx logs a WebSocket when it closes, with the gateway it went to: one upgrade each, on both gateways
        // (least_conn spreads them), and no token in the log (the query string is left out).
        var hubLog = Path.Combine(directory, "access.log");
        var upgrades = await Eventually.Get(async () => (await File.ReadAllLinesAsync(hubLog)).Where(l => l.Contains("GET /hubs/agent HTTP/1.1\" 101")).ToArray(),
            lines => lines.Length >= viewers.Count, TimeSpan.FromSeconds(20), "nginx logged every viewer's WebSocket");
        Assert.Equal(viewers.Count, upgrades.Length);
        var perGateway = fixture.GatewayUrls.Select(url => upgrades.Count(l => l.EndsWith($"\"127.0.0.1:{url.Port}\"", StringComparison.Ordinal))).ToArray();
        output.WriteLine($"WebSockets per gateway: {string.Join(", ", perGateway)}");
        Assert.Equal(viewers.Count, perGateway.Sum());
        var errors = await File.ReadAllTextAsync(Path.Combine(directory, "error.log"));
        Assert.All(perGateway, count => Assert.True(count >= 3,
            $"each gateway took a share of the viewers: {string.Join(", ", perGateway)}. nginx's errors:{Environment.NewLine}{errors}"));
        // nginx writes a request's line after it sent the response, so the client can read the page first.
        var logged = await Eventually.Get(() => File.ReadAllLinesAsync(hubLog),
            lines => lines.Any(l => l.Contains("\"GET / HTTP/1.1\" 200", StringComparison.Ordinal)), TimeSpan.FromSeconds(10), "nginx logged the demo page's request");
        Assert.DoesNotContain(logged, l => l.Contains("access_token", StringComparison.Ordinal) || l.Contains("demo-page-token", StringComparison.Ordinal));
    }

    /// <summary>Echo's socket is the old Reverb <c>/app/{key}</c> WebSocket; the example follower fills gaps from the token page beside it.</summary>
    [SkippableFact]
    public async Task Through_nginx_a_pusher_socket_subscribes_and_gets_every_token_and_the_token_page_answers()
    {
        await using var nginx = await Nginx.Start(fixture);
        var threadId = "t-nginx-pusher-" + Guid.NewGuid().ToString("N")[..8];
        (await nginx.Http.PutAsJsonAsync($"/api/v1/threads/{threadId}", new { ownerUserId = "echo-user", memberUserIds = Array.Empty<string>() })).EnsureSuccessStatusCode();

        var (socket, socketId) = await RawPusherSocket.Open(PusherGatewayFixture.WebSocketUriAt(nginx.Front));
        await using var _ = socket;
        var channel = TestSignatures.Channel(threadId);
        var auth = TestSignatures.Auth(socketId, channel);
        await socket.Send(new { @event = "pusher:subscribe", data = new { channel, auth } });
        await socket.ReceiveEvent("pusher_internal:subscription_succeeded");

        var started = await nginx.Http.PostAsJsonAsync("/api/v1/streams", new { threadId, runId = "r-" + Guid.NewGuid().ToString("N")[..8] });
        var streamId = (await started.Content.ReadFromJsonAsync<Started>())!.StreamId;
        var tokens = Enumerable.Range(1, 20).Select(i => $"e{i} ").ToArray();
        foreach (var text in tokens)
        {
            (await nginx.Http.PostAsJsonAsync($"/api/v1/streams/{streamId}/tokens", new { token = text })).EnsureSuccessStatusCode();
        }

        (await nginx.Http.PostAsJsonAsync($"/api/v1/streams/{streamId}/end", new { })).EnsureSuccessStatusCode();
        var received = new List<string>();
        while (true)
        {
            var data = RawPusherSocket.Data(await socket.ReceiveEvent("agent.thread.token"));
            if (data.GetProperty("done").GetBoolean())
            {
                break;
            }

            Assert.Equal(received.Count + 1, data.GetProperty("sequence").GetInt64());
            received.Add(data.GetProperty("token").GetString()!);
        }

        Assert.Equal(tokens, received);
        var page = await nginx.Http.PostAsJsonAsync($"/app/{PusherGatewayFixture.AppKey}/tokens",
            new { socket_id = socketId, channel_name = channel, auth, stream_id = streamId, after = 10 });
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(tokens[10..], (await page.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tokens").EnumerateArray().Select(t => t.GetString()));
    }

    /// <summary>Health, metrics and the dashboard are for the private network, however a client spells their paths.</summary>
    [SkippableFact]
    public async Task Through_nginx_operators_paths_are_refused_to_a_public_address_in_any_spelling()
    {
        await using var nginx = await Nginx.Start(fixture);
        // 127.0.0.2 is loopback but on none of the allowlist's ranges: to nginx, a client from outside.
        using var outsider = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellation) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellation);
                return new NetworkStream(socket, ownsSocket: true);
            },
        }) { BaseAddress = nginx.Front };

        foreach (var path in new[] { "/metrics", "/Metrics", "/METRICS/", "/health/ready", "/Health/ready", "/dashboard/", "/DashBoard/" })
        {
            Assert.True(HttpStatusCode.Forbidden == (await outsider.GetAsync(path)).StatusCode, $"nginx refused {path} to a public address");
        }

        Assert.Equal(HttpStatusCode.OK, (await outsider.GetAsync("/")).StatusCode);
    }

    /// <summary>deploy/nginx/rehome.conf rendered for the fixture's gateways and run by the real nginx.</summary>
    private sealed class Nginx : IAsyncDisposable
    {
        private readonly Process _server;

        private Nginx(Process server, string directory, Uri front, HttpClient http) => (_server, Directory, Front, Http) = (server, directory, front, http);

        public string Directory { get; }

        public Uri Front { get; }

        /// <summary>A client of the front door with the service key.</summary>
        public HttpClient Http { get; }

        public static async Task<Nginx> Start(ProcessClusterFixture fixture)
        {
            Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
            var binary = FindNginx();
            await fixture.EnsureHealthy();
            var directory = System.IO.Directory.CreateTempSubdirectory("rehome-nginx-").FullName;
            var port = TestPorts.Next();
            var conf = await Run("bash", [Path.Combine(GatewayFixture.SolutionDirectory(), "deploy", "nginx", "render.sh"), directory, port.ToString(),
                .. fixture.GatewayUrls.Select(u => $"127.0.0.1:{u.Port}")]);
            var server = Process.Start(new ProcessStartInfo(binary, ["-c", conf.Trim(), "-g", "daemon off;"]) { RedirectStandardError = true })!;
            var front = new Uri($"http://127.0.0.1:{port}");
            var http = new HttpClient { BaseAddress = front };
            http.DefaultRequestHeaders.Add("X-Service-Key", fixture.ServiceKey);
            var nginx = new Nginx(server, directory, front, http);
            try
            {
                await Eventually.True(async () => (await TryGet(http, "/health")) == 200, TimeSpan.FromSeconds(20), "nginx answers");
                return nginx;
            }
            catch
            {
                await nginx.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            // The workers too: killed alone, the master leaves them running, still listening.
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
            _server.Dispose();
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    private static async Task<int> TryGet(HttpClient http, string path)
    {
        try
        {
            using var response = await http.GetAsync(path);
            return (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    private static string FindNginx()
    {
        var nginx = new[] { "/usr/sbin/nginx", "/usr/bin/nginx" }.FirstOrDefault(File.Exists);
        if (nginx is null)
        {
            Assert.False(RedisServer.IsCi, "CI=true but nginx is missing (apt-get install nginx)");
            Skip.If(true, "nginx is not installed; the nginx routing test is skipped.");
        }

        return nginx!;
    }

    private static async Task<string> Run(string file, string[] arguments, Dictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment ?? [])
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)} failed: {await process.StandardError.ReadToEndAsync()}");
        return output;
    }

    private sealed record Started(string StreamId);
}
