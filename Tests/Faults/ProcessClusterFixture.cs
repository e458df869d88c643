using System.Diagnostics;
using System.Security.Cryptography;
using Orleans.Runtime;
using ReHome.Smoke;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Faults;

/// <summary>
/// The production shape as separate processes on loopback: a redis-server that persists to disk, three silos
/// (Redis clustering and storage) and two gateways (Orleans clients), each a built app run with <c>dotnet</c>, on
/// free ports. The tests are the backend (an Orleans client with the producer SDK) and the browsers (SignalR
/// viewers). Fault tests kill and restart its processes; <see cref="EnsureHealthy"/> puts it back together.
/// A derived fixture runs another shape (<see cref="CoHostedClusterFixture"/>: gateways that are also silos).
/// </summary>
public class ProcessClusterFixture : IAsyncLifetime
{
    private const string ReadyPath = "/health/ready";
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    private readonly List<(ChildProcess Process, int SiloPort, int GatewayPort)> _silos = [];
    private readonly List<(ChildProcess Process, Uri Url)> _gateways = [];
    private RedisServer? _redis;
    private SmokeCluster? _cluster;
    private readonly int _siloProcesses;
    private readonly bool _coHosted;

    public ProcessClusterFixture()
        : this(silos: 3, gateways: 2, coHosted: false)
    {
    }

    /// <param name="coHosted">Each gateway is also a silo (<c>Gateway__HostSilo</c>); <paramref name="silos"/> more run alone.</param>
    protected ProcessClusterFixture(int silos, int gateways, bool coHosted)
    {
        _siloProcesses = silos;
        GatewayCount = gateways;
        _coHosted = coHosted;
        LogDirectory = Path.Combine(AppContext.BaseDirectory, "fault-logs", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss") + (coHosted ? "-cohosted" : ""));
    }

    /// <summary>Silos in the cluster, counting gateways that host one.</summary>
    public int SiloCount => _siloProcesses + (_coHosted ? GatewayCount : 0);

    public int GatewayCount { get; }

    public string? SkipReason { get; private set; }

    public string ClusterId { get; } = "faults-" + Guid.NewGuid().ToString("N")[..8];

    public string SigningKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>Short, so that a test can meet a socket too old for the token page of a gateway that does not hold it.</summary>
    public static readonly TimeSpan TokenPageSocketLifetime = TimeSpan.FromSeconds(3);

    /// <summary>How often the relays probe quiet gateways; short, so a test sees a killed one let go of.</summary>
    public static readonly TimeSpan RelayIdleProbe = TimeSpan.FromSeconds(1);

    /// <summary>The producer API key every gateway accepts.</summary>
    public string ServiceKey { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public string LogDirectory { get; }

    public RedisServer Redis => _redis ?? throw new InvalidOperationException(SkipReason);

    /// <summary>The backend: an Orleans client of the silos with the producer SDK.</summary>
    public SmokeCluster Cluster => _cluster ?? throw new InvalidOperationException(SkipReason);

    public IReadOnlyList<Uri> GatewayUrls => [.. _gateways.Select(g => g.Url)];

    public IReadOnlyList<ChildProcess> Silos => [.. _silos.Select(s => s.Process)];

    public IReadOnlyList<ChildProcess> Gateways => [.. _gateways.Select(g => g.Process)];

    public async Task InitializeAsync()
    {
        var binary = RedisServer.FindBinary();
        if (binary is null)
        {
            SkipReason = "redis-server is not installed, so the fault tests are skipped (apt-get install redis-server; under CI=true this fails instead).";
            return;
        }

        Directory.CreateDirectory(LogDirectory);
        _redis = await RedisServer.Start(binary, Path.Combine(LogDirectory, "redis-data"));
        var common = new Dictionary<string, string>
        {
            ["Redis__ConnectionString"] = _redis.ConnectionString,
            ["Orleans__ClusterId"] = ClusterId,
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
            ["Streams__RelayIdleProbe"] = RelayIdleProbe.ToString(),
        };

        for (var i = 1; i <= _siloProcesses; i++)
        {
            var siloPort = TestPorts.Next();
            var gatewayPort = TestPorts.Next();
            var http = $"http://127.0.0.1:{TestPorts.Next()}";
            var settings = new Dictionary<string, string>(common)
            {
                ["Silo__Port"] = siloPort.ToString(),
                ["Silo__GatewayPort"] = gatewayPort.ToString(),
                ["Urls"] = http,
            };
            _silos.Add((ChildProcess.Dotnet($"silo{i}", BuiltApps.Silo, settings, LogDirectory, httpBase: http), siloPort, gatewayPort));
        }

        for (var i = 1; i <= GatewayCount; i++)
        {
            var url = new Uri($"http://127.0.0.1:{TestPorts.Next()}");
            var settings = new Dictionary<string, string>(common)
            {
                ["Urls"] = url.ToString(),
                ["Auth__SigningKey"] = SigningKey,
                ["Auth__ServiceKeys__0"] = ServiceKey,
                // The Pusher-protocol endpoint too, for Laravel Echo through the deployment's nginx.
                ["Pusher__AppKey"] = Pusher.PusherGatewayFixture.AppKey,
                ["Pusher__AppSecret"] = Pusher.PusherGatewayFixture.AppSecret,
                ["Pusher__TokenPageSocketLifetime"] = TokenPageSocketLifetime.ToString(),
            };
            var (siloPort, gatewayPort) = (0, 0);
            if (_coHosted)
            {
                (siloPort, gatewayPort) = (TestPorts.Next(), TestPorts.Next());
                settings["Gateway__HostSilo"] = "true";
                settings["Silo__Port"] = siloPort.ToString();
                settings["Silo__GatewayPort"] = gatewayPort.ToString();
            }

            var gateway = ChildProcess.Dotnet($"{(_coHosted ? "node" : "gateway")}{i}", BuiltApps.Gateway, settings, LogDirectory,
                httpBase: url.GetLeftPart(UriPartial.Authority));
            _gateways.Add((gateway, url));
            if (_coHosted)
            {
                _silos.Add((gateway, siloPort, gatewayPort));
            }
        }

        await EnsureHealthy();
        _cluster = await SmokeCluster.Connect(_redis.ConnectionString, ClusterId,
            producer: o => o.RetryTimeout = TimeSpan.FromSeconds(60), logLevel: Microsoft.Extensions.Logging.LogLevel.Error);
    }

    /// <summary>Starts whatever is not running and waits until every process is ready and every silo active.</summary>
    public async Task EnsureHealthy()
    {
        foreach (var (process, _, _) in _silos)
        {
            process.Start();
        }

        await Task.WhenAll(_silos.Select(s => s.Process.WaitHealthy(ReadyPath, ReadyTimeout)));
        foreach (var (process, _) in _gateways)
        {
            process.Start();
        }

        await Task.WhenAll(_gateways.Select(g => g.Process.WaitHealthy(ReadyPath, ReadyTimeout)));
        if (_cluster is not null)
        {
            await Eventually.True(async () => await _cluster.ActiveSilos() == SiloCount, TimeSpan.FromSeconds(60),
                $"{SiloCount} active silos");

        }
    }

    /// <summary>
    /// A rolling-upgrade step: SIGTERM, wait for the exit, start it again and wait until the cluster is healthy. Returns
    /// how long after the signal the process exited and everything was ready again.
    /// </summary>
    public async Task<(TimeSpan Exited, TimeSpan Ready)> Restart(ChildProcess process)
    {
        var stoppedAt = Stopwatch.GetTimestamp();
        await process.Terminate(TimeSpan.FromSeconds(60));
        var exited = Stopwatch.GetElapsedTime(stoppedAt);
        await EnsureHealthy();
        return (exited, Stopwatch.GetElapsedTime(stoppedAt));
    }

    /// <summary>The port where the silo takes Orleans clients (its gateway).</summary>
    public int GatewayPortOf(ChildProcess silo) => _silos.Single(s => s.Process == silo).GatewayPort;

    /// <summary>Every silo's gateway port: a client whose gateway list holds one of them is a client of this cluster.</summary>
    public IReadOnlySet<int> GatewayPorts => _silos.Select(s => s.GatewayPort).ToHashSet();

    /// <summary>The silo process where the grain is active now.</summary>
    public async Task<ChildProcess?> SiloOf(IAddressable grain)
    {
        var address = await Patiently.Call(() => Cluster.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(grain).AsTask());
        return address is null ? null : _silos.FirstOrDefault(s => s.SiloPort == address.Endpoint.Port).Process;
    }

    /// <summary>The silo process that hosts the most of these streams now, and which of them it hosts.</summary>
    public async Task<(ChildProcess Silo, HashSet<string> StreamIds)> SiloHostingMost(IEnumerable<string> streamIds)
    {
        var ids = streamIds.ToArray();
        var hosts = await Task.WhenAll(ids.Select(id => SiloOf(Cluster.Client.GetGrain<IStreamGrain>(id))));
        var most = hosts.OfType<ChildProcess>().GroupBy(p => p).MaxBy(g => g.Count())!.Key;
        return (most, ids.Where((_, i) => hosts[i] == most).ToHashSet());
    }

    /// <summary>Where each silo's log ends now; <see cref="SiloLogsSince"/> reads what they log after.</summary>
    public long[] SiloLogMarks() => [.. _silos.Select(s => File.Exists(s.Process.LogFile) ? new FileInfo(s.Process.LogFile).Length : 0L)];

    /// <summary>The lines the silos logged after <paramref name="marks"/>, as "silo1: line".</summary>
    public IEnumerable<string> SiloLogsSince(long[] marks)
    {
        for (var i = 0; i < _silos.Count; i++)
        {
            var process = _silos[i].Process;
            using var log = new FileStream(process.LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            log.Seek(Math.Min(marks[i], log.Length), SeekOrigin.Begin);
            using var reader = new StreamReader(log);
            while (reader.ReadLine() is { } line)
            {
                yield return $"{process.Name}: {line}";
            }
        }
    }

    /// <summary>
    /// Waits until the cluster no longer lists <paramref name="silo"/> as active (its death is declared in the
    /// membership table) and says how long after <paramref name="since"/> (a <see cref="Stopwatch"/> timestamp) that was.
    /// </summary>
    public async Task<TimeSpan> DeclaredDead(ChildProcess silo, long since)
    {
        var port = _silos.Single(s => s.Process == silo).SiloPort;
        var management = Cluster.Client.GetGrain<IManagementGrain>(0);
        await Eventually.True(async () =>
        {
            try
            {
                return !(await management.GetHosts(onlyActive: true)).Keys.Any(address => address.Endpoint.Port == port);
            }
            catch (Exception ex) when (ex is OrleansException or TimeoutException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), $"{silo.Name} declared dead");
        return Stopwatch.GetElapsedTime(since);
    }

    /// <summary>What each process logged last, for a failure message.</summary>
    public string Tails() => string.Join(Environment.NewLine,
        Processes.Select(p => $"--- {p.Name}{Environment.NewLine}{p.Tail(15)}"));

    /// <summary>Every silo and gateway process once (a co-hosted node is both).</summary>
    private IEnumerable<ChildProcess> Processes => _silos.Select(s => s.Process).Concat(_gateways.Select(g => g.Process)).Distinct();

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        await Task.WhenAll(Processes.Select(p => p.DisposeAsync().AsTask()));
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }
}

/// <summary>Alone, after the other tests: the fault tests measure stalls, and kill processes.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessClusterCollection : ICollectionFixture<ProcessClusterFixture>
{
    public const string Name = "process cluster";
}
