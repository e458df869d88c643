using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using ReHome.Smoke;
using ReHome.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReHome.Tests.Hosting;

/// <summary>
/// A start and a graceful stop with no fault log nothing at warning or above, in both modes, with readiness probed from
/// the first moment (as an orchestrator does), a viewer watching and streams open when SIGTERM arrives.
/// </summary>
[Collection(CleanLogCollection.Name)]
public sealed partial class CleanLogTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string User = "viewer-1";
    private readonly string _signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly string _serviceKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    private readonly string _logDirectory = Path.Combine(AppContext.BaseDirectory, "clean-logs", Guid.NewGuid().ToString("N")[..8]);
    private readonly List<ChildProcess> _processes = [];
    private RedisServer? _redis;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_logDirectory);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_embedded_gateway_starts_and_stops_on_SIGTERM_with_streams_open_logging_nothing_at_warning_or_above()
    {
        var gateway = Gateway(redis: null);

        await gateway.Process.WaitHealthy("/health/ready");
        await using (var viewer = await StreamsOpenWithAViewer(gateway.Url))
        {
            await gateway.Process.Terminate(TimeSpan.FromSeconds(60));
        }

        AssertCleanExit(gateway.Process);
    }

    [SkippableFact]
    public async Task A_silo_and_a_gateway_on_Redis_start_and_stop_on_SIGTERM_with_streams_open_logging_nothing_at_warning_or_above()
    {
        var binary = RedisServer.FindBinary();
        Skip.If(binary is null, "redis-server is not installed, so this test is skipped (under CI=true it fails instead).");
        _redis = await RedisServer.Start(binary);
        // As docker-compose.yml starts them: the gateway once the silo is healthy.
        var silo = Silo(_redis.ConnectionString);
        await silo.Process.WaitHealthy("/health/ready");
        var gateway = Gateway(_redis.ConnectionString);
        await gateway.Process.WaitHealthy("/health/ready");
        await using (var viewer = await StreamsOpenWithAViewer(gateway.Url))
        {
            // As an orchestrator takes the system down: the edge first, then the silo.
            await gateway.Process.Terminate(TimeSpan.FromSeconds(60));
        }

        await silo.Process.Terminate(TimeSpan.FromSeconds(60));

        AssertCleanExit(gateway.Process);
        AssertCleanExit(silo.Process);
    }

    /// <summary>A viewer joined to a thread with three open streams, each of which stores its state as it deactivates (settled).</summary>
    private async Task<HubConnection> StreamsOpenWithAViewer(Uri gateway)
    {
        using var api = new HttpClient { BaseAddress = gateway };
        api.DefaultRequestHeaders.Add("X-Service-Key", _serviceKey);
        var threadId = "t-" + Guid.NewGuid().ToString("N");
        (await api.PutAsJsonAsync($"/api/v1/threads/{threadId}", new { ownerUserId = User, memberUserIds = Array.Empty<string>() })).EnsureSuccessStatusCode();

        var viewer = new HubConnectionBuilder().WithUrl(new Uri(gateway, HubContract.Path), o =>
        {
            o.Transports = HttpTransportType.WebSockets;
            o.AccessTokenProvider = () => Task.FromResult<string?>(ViewerToken.Sign(_signingKey, User, TimeSpan.FromHours(1)));
        }).Build();
        var received = 0;
        viewer.On<TokenMessage>(HubContract.TokenEvent, _ => Interlocked.Increment(ref received));
        viewer.On<TokenMessage[]>(HubContract.TokensEvent, batch => Interlocked.Add(ref received, batch.Length));
        await viewer.StartAsync();
        await viewer.InvokeAsync<ThreadStream[]>(HubContract.JoinThread, threadId);

        for (var i = 0; i < 3; i++)
        {
            var streamId = $"s-{i}-{Guid.NewGuid():N}";
            (await api.PostAsJsonAsync("/api/v1/streams", new { threadId, runId = "r-" + streamId, streamId })).EnsureSuccessStatusCode();
            (await api.PostAsJsonAsync($"/api/v1/streams/{streamId}/tokens", new { tokens = new[] { "one ", "two ", "three" } })).EnsureSuccessStatusCode();
        }

        await Eventually.True(() => Task.FromResult(Volatile.Read(ref received) == 9), because: "the viewer sees every token");
        return viewer;
    }

    private (ChildProcess Process, Uri Url) Gateway(string? redis)
    {
        var url = new Uri($"http://127.0.0.1:{TestPorts.Next()}");
        var settings = new Dictionary<string, string>(ConsoleLog.Settings)
        {
            ["Urls"] = url.ToString(),
            ["Auth__SigningKey"] = _signingKey,
            ["Auth__ServiceKeys__0"] = _serviceKey,
        };
        if (redis is null)
        {
            settings["Silo__Port"] = TestPorts.Next().ToString();
            settings["Silo__GatewayPort"] = TestPorts.Next().ToString();
        }
        else
        {
            settings["Redis__ConnectionString"] = redis;
        }

        return (Start("gateway", BuiltApps.Gateway, settings), url);
    }

    private (ChildProcess Process, Uri Url) Silo(string redis)
    {
        var url = new Uri($"http://127.0.0.1:{TestPorts.Next()}");
        var settings = new Dictionary<string, string>(ConsoleLog.Settings)
        {
            ["Urls"] = url.ToString(),
            ["Redis__ConnectionString"] = redis,
            ["Silo__Port"] = TestPorts.Next().ToString(),
            ["Silo__GatewayPort"] = TestPorts.Next().ToString(),
        };
        return (Start("silo", BuiltApps.Silo, settings), url);
    }

    private ChildProcess Start(string name, string dll, Dictionary<string, string> settings)
    {
        var process = ChildProcess.Dotnet(name, dll, settings, _logDirectory, httpBase: settings["Urls"]);
        _processes.Add(process);
        process.Start();
        return process;
    }

    private void AssertCleanExit(ChildProcess process)
    {
        var entries = ConsoleLog.AtWarningOrAbove(process.LogFile);
        var machine = entries.Where(e => AboutTheMachine(e, DateTime.UtcNow - process.StartedAt)).ToList();
        var faults = entries.Except(machine).ToList();
        output.WriteLine($"{process.Name}: exit code {process.ExitCode}, {faults.Count} entries at warning or above ({process.LogFile})");
        foreach (var entry in machine)
        {
            output.WriteLine($"  not counted, about the machine rather than the software: {entry}");
        }

        Assert.True(faults.Count == 0, $"{process.Name} logged at warning or above:{Environment.NewLine}{string.Join(Environment.NewLine, faults)}");
        Assert.Equal(0, process.ExitCode);
    }

    /// <summary>
    /// Orleans' reports that the machine was slow, which a shared test machine produces whatever the software does: each
    /// names a delay over a threshold, in a turn, a timer, the thread pool or a runtime tick (and the local health score
    /// that counts only such delays). Also its watchdog's start race (Orleans 10.4): it can read its participant check's
    /// timestamp before setting it, and reports a stall as long as the machine's uptime, longer than the process has
    /// existed, so it cannot be real.
    /// </summary>
    private static bool AboutTheMachine(string entry, TimeSpan processAge)
    {
        (string Category, string Says)[] delays =
        [
            ("Orleans.Runtime.Scheduler.WorkItemGroup", " for execution, which is longer than "),
            ("Orleans.Runtime.Watchdog", " .NET Runtime Platform stalled for "),
            ("Orleans.Runtime.MembershipService.LocalSiloHealthMonitor", " .NET Thread Pool execution stalled for "),
            ("Orleans.Runtime.AsyncTimer.", " longer than expected"),
        ];
        if (delays.Any(d => entry.Contains($" warn: {d.Category}", StringComparison.Ordinal) && entry.Contains(d.Says, StringComparison.Ordinal)))
        {
            return true;
        }

        if (DegradedBy().Match(entry) is { Success: true } degraded)
        {
            return ThreadPoolStall().Replace(degraded.Groups["complaints"].Value, "").Trim().Length == 0;
        }

        return WatchdogStartRace().Match(entry) is { Success: true } race && TimeSpan.Parse(race.Groups["elapsed"].Value, CultureInfo.InvariantCulture) > processAge;
    }

    [GeneratedRegex(@" warn: Orleans\.Runtime\.Watchdog\[\d+\] Participant check thread has not completed for (?<elapsed>[\d.:]+),")]
    private static partial Regex WatchdogStartRace();

    [GeneratedRegex(@" warn: Orleans\.Runtime\.MembershipService\.LocalSiloHealthMonitor\[\d+\] Self-monitoring determined that local health is degraded\. .*Complaints: (?<complaints>.*)$")]
    private static partial Regex DegradedBy();

    [GeneratedRegex(@"\.NET Thread Pool execution stalled for [\d.]+s\. This can indicate \.NET Thread Pool starvation, very long \.NET GC pauses, or other runtime or machine pauses\.")]
    private static partial Regex ThreadPoolStall();

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }
}

/// <summary>Alone: the processes are timed by nothing, but a starved machine makes Orleans complain about slow turns.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CleanLogCollection
{
    public const string Name = "clean logs";
}
