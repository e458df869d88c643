using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.SignalR.Client;
using ReHome.Smoke;
using ReHome.Tests.Infrastructure;
using ReHome.Tests.Pusher;
using Xunit.Abstractions;

namespace ReHome.Tests.QuickStarts;

/// <summary>The smoke command against the embedded gateway (<c>--producer http</c>), and its viewer-token minting.</summary>
[Collection(PusherCollection.Name)]
public sealed class SmokeToolTests(PusherGatewayFixture gateway, ITestOutputHelper output)
{
    [Fact]
    public async Task Smoke_over_the_http_producer_api_passes_every_check_against_the_embedded_gateway()
    {
        var (exit, text) = await Smoke(new Dictionary<string, string>(), "--producer", "http", "--gateway", gateway.BaseAddress.ToString(),
            "--service-key", GatewayFixture.ServiceKey, "--signing-key", GatewayFixture.SigningKey, "--tokens", "25");

        Assert.Equal(0, exit);
        Assert.DoesNotContain("FAIL", text);
        Assert.Contains("streamed 25 tokens at 50/s through the HTTP producer API, numbered 1..25", text);
        Assert.Contains("viewer got 25 tokens in order and done with the full text", text);
        Assert.Contains("a second end is idempotent", text);
    }

    [Fact]
    public async Task Smoke_with_no_arguments_runs_from_the_environment()
    {
        var (exit, text) = await Smoke(new Dictionary<string, string>
        {
            ["REHOME_SMOKE_PRODUCER"] = "http",
            ["REHOME_GATEWAYS"] = gateway.BaseAddress.ToString(),
            ["Auth__ServiceKeys__0"] = GatewayFixture.ServiceKey,
            ["Auth__SigningKey"] = GatewayFixture.SigningKey,
        });

        Assert.Equal(0, exit);
        Assert.Contains("a second end is idempotent", text);
    }

    [Fact]
    public async Task A_minted_viewer_token_opens_the_hub_for_that_user()
    {
        var threadId = await gateway.NewThread("carol");
        var (exit, text) = await Smoke(new Dictionary<string, string> { ["Auth__SigningKey"] = GatewayFixture.SigningKey }, "--mint-token", "carol", "--hours", "2");
        Assert.Equal(0, exit);

        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(gateway.BaseAddress, HubContract.Path), o => o.AccessTokenProvider = () => Task.FromResult<string?>(text.Trim()))
            .Build();
        await hub.StartAsync();
        var streams = await hub.InvokeAsync<ThreadStream[]>(HubContract.JoinThread, threadId);
        Assert.Empty(streams);
    }

    [Fact]
    public async Task The_smoke_commands_http_producer_sends_a_refused_append_once_and_reports_its_status()
    {
        var threadId = await gateway.NewThread("carol");
        var requests = new CountingHandler();
        using var http = new HttpClient(requests) { BaseAddress = gateway.BaseAddress };
        http.DefaultRequestHeaders.Add("X-Service-Key", GatewayFixture.ServiceKey);
        var producer = new HttpStreamProducer(http);
        var streamId = await producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N")[..8]);
        Assert.True(await producer.EndStreamAsync(streamId, "ended"));
        var before = requests.Count;

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => producer.StreamTokenAsync(streamId, "late"));

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("stream_ended", refused.Message);
        Assert.Equal(1, requests.Count - before);
    }

    [Fact]
    public async Task The_smoke_commands_http_end_that_landed_though_its_answer_was_a_503_says_it_ended_the_stream()
    {
        var threadId = await gateway.NewThread("carol");
        using var http = new HttpClient(new FirstEndAnsweredUnavailable()) { BaseAddress = gateway.BaseAddress };
        http.DefaultRequestHeaders.Add("X-Service-Key", GatewayFixture.ServiceKey);
        var producer = new HttpStreamProducer(http);
        var streamId = await producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N")[..8]);
        await producer.StreamTokenAsync(streamId, "done");

        Assert.True(await producer.EndStreamAsync(streamId, "done"));
        Assert.False(await producer.EndStreamAsync(streamId, "done"));
    }

    [Fact]
    public async Task Ctrl_C_stops_the_smoke_command_with_a_line_and_exit_130_not_a_crash()
    {
        var start = new ProcessStartInfo(Command.Dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { BuiltApps.Smoke, "--producer", "http", "--gateway", gateway.BaseAddress.ToString(),
                     "--service-key", GatewayFixture.ServiceKey, "--signing-key", GatewayFixture.SigningKey, "--tokens", "1000", "--rate", "10" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        while (await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) is { } line)
        {
            lines.Add(line);
            if (line.Contains(" started on ", StringComparison.Ordinal))
            {
                break;
            }
        }

        // What Ctrl-C sends to a terminal's foreground process.
        using (var interrupt = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await interrupt.WaitForExitAsync();
        }

        lines.AddRange((await process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30))).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine(string.Join(Environment.NewLine, lines) + await errors);

        Assert.Equal(130, process.ExitCode);
        Assert.Contains("STOP  interrupted (Ctrl-C) before the smoke streams finished", lines);
        Assert.DoesNotContain("Unhandled exception", await errors);
    }

    private async Task<(int Exit, string Output)> Smoke(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        // Only what the test gives: nothing of the machine's own ReHome settings leaks in.
        var variables = new[] { "Redis__ConnectionString", "REHOME_GATEWAYS", "Auth__SigningKey", "Auth__ServiceKeys__0", "REHOME_SMOKE_PRODUCER" }
            .ToDictionary(name => name, name => environment.GetValueOrDefault(name));
        foreach (var (name, value) in environment)
        {
            variables[name] = value;
        }

        var (exit, text, errors) = await Command.Run(Command.Dotnet, [BuiltApps.Smoke, .. args], variables);
        output.WriteLine(text + errors);
        return (exit, text);
    }

    /// <summary>The first end reaches the gateway and is stored, but its caller gets a 503, as from a proxy that gave up.</summary>
    private sealed class FirstEndAnsweredUnavailable() : DelegatingHandler(new HttpClientHandler())
    {
        private int _ends;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            return request.RequestUri!.AbsolutePath.EndsWith("/end", StringComparison.Ordinal) && Interlocked.Increment(ref _ends) == 1
                ? new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
                : response;
        }
    }

    private sealed class CountingHandler() : DelegatingHandler(new HttpClientHandler())
    {
        private int _count;

        public int Count => _count;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
