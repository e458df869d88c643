using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using ReHome.Bench.Load;
using ReHome.Producer;

namespace ReHome.Bench.Hosting;

/// <summary>
/// ReHome as real processes: a redis-server (persistence off), one or <c>--silos</c> silos and a gateway that is an
/// Orleans client of them (<c>cluster</c> mode); one gateway hosting its own silo in memory (<c>embedded</c> mode); or
/// a redis-server and one or <c>--silos</c> gateways that are also silos of the Redis cluster (<c>cohosted</c> mode).
/// The bench itself joins as an Orleans client for the producer SDK.
/// </summary>
internal sealed class ReHomeTarget : ITarget
{
    private readonly List<ChildProcess> _processes = [];
    private readonly List<ChildProcess> _connectionHosts = [];
    private readonly string _serviceKey = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
    private string _gatewayBase = "";
    private string? _redis;
    private int _siloGatewayPort;
    private IHost? _client;

    public string Name => "rehome";

    public string HubUrl => _gatewayBase + HubContract.Path;

    public IReadOnlyList<ChildProcess> Processes => [.. _processes.Where(p => p.Name != "redis")];

    public ChildProcess StreamHost => _processes.First(p => p.Name is "silo" or "gateway");

    public ChildProcess ConnectionHost => _connectionHosts[0];

    public IReadOnlyList<ChildProcess> ConnectionHosts => _connectionHosts;

    public ChildProcess? Redis => _processes.FirstOrDefault(p => p.Name == "redis");

    public ReHomeMode Mode { get; private init; }

    /// <summary>The Redis connection string (cluster and cohosted modes), for reading its memory use.</summary>
    public string? RedisAddress => _redis is null ? null : _redis + ",allowAdmin=true";

    /// <param name="mode">The mode, when not <c>--mode</c>'s (the idle scenario measures two).</param>
    public static async Task<ReHomeTarget> Start(BenchOptions options, Ports ports, Jwt jwt, string logDir, ReHomeMode? mode = null)
    {
        var target = new ReHomeTarget { Mode = mode ?? options.Mode };
        try
        {
            await target.StartProcesses(options, ports, jwt, logDir);
            return target;
        }
        catch
        {
            await target.DisposeAsync();
            throw;
        }
    }

    private async Task StartProcesses(BenchOptions options, Ports ports, Jwt jwt, string logDir)
    {
        var common = new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Warning",
            ["Auth__SigningKey"] = jwt.SigningKey,
            ["Auth__ServiceKeys__0"] = _serviceKey,
            ["Orleans__ClusterId"] = "bench",
            ["Orleans__ServiceId"] = "bench",
        };
        foreach (var (key, value) in options.Env)
        {
            common[key] = value;
        }

        var siloPort = ports.Next();
        _siloGatewayPort = ports.Next();
        var gatewayHttp = ports.Next();
        _gatewayBase = $"http://127.0.0.1:{gatewayHttp}";

        if (Mode != ReHomeMode.Embedded)
        {
            var redisPort = ports.Next();
            var redis = ChildProcess.Native("redis", RedisBinary(),
                ["--port", redisPort.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"], logDir).Start();
            _processes.Add(redis);
            _redis = $"127.0.0.1:{redisPort},abortConnect=false";
            await WaitForRedis(redisPort);
            common["Redis__ConnectionString"] = _redis;
        }

        if (Mode is ReHomeMode.Embedded or ReHomeMode.CoHosted)
        {
            // Gateway processes that host the silo: in memory, or members of the Redis cluster. The first is named
            // "gateway" as in the other modes; node n > 1 is "gateway<n>".
            for (var n = 1; n <= options.Silos; n++)
            {
                var httpBase = n == 1 ? _gatewayBase : $"http://127.0.0.1:{ports.Next()}";
                var env = new Dictionary<string, string>(common)
                {
                    ["Gateway__HostSilo"] = (Mode == ReHomeMode.CoHosted).ToString(),
                    ["Silo__Port"] = (n == 1 ? siloPort : ports.Next()).ToString(),
                    ["Silo__GatewayPort"] = (n == 1 ? _siloGatewayPort : ports.Next()).ToString(),
                    ["Urls"] = httpBase,
                };
                var node = ChildProcess.Dotnet(n == 1 ? "gateway" : $"gateway{n}", RepoPaths.Gateway, env, logDir, httpBase: httpBase).Start();
                _processes.Add(node);
                _connectionHosts.Add(node);
            }

            foreach (var node in _connectionHosts)
            {
                await node.WaitHealthy("/health/ready", TimeSpan.FromSeconds(60));
            }

            return;
        }

        // Silo 1 is named "silo", silo n > 1 "silo<n>".
        for (var n = 1; n <= options.Silos; n++)
        {
            var siloHttp = $"http://127.0.0.1:{ports.Next()}";
            var siloEnv = new Dictionary<string, string>(common)
            {
                ["Silo__Port"] = (n == 1 ? siloPort : ports.Next()).ToString(),
                ["Silo__GatewayPort"] = (n == 1 ? _siloGatewayPort : ports.Next()).ToString(),
                ["Urls"] = siloHttp,
            };
            _processes.Add(ChildProcess.Dotnet(n == 1 ? "silo" : $"silo{n}", RepoPaths.Silo, siloEnv, logDir, httpBase: siloHttp).Start());
        }

        var gatewayEnv = new Dictionary<string, string>(common) { ["Urls"] = _gatewayBase };
        var gatewayProcess = ChildProcess.Dotnet("gateway", RepoPaths.Gateway, gatewayEnv, logDir, httpBase: _gatewayBase).Start();
        _processes.Add(gatewayProcess);
        _connectionHosts.Add(gatewayProcess);
        foreach (var process in _processes.Where(p => p.Name != "redis"))
        {
            await process.WaitHealthy("/health/ready", TimeSpan.FromSeconds(60));
        }
    }

    /// <summary>The bench's own Orleans client of the cluster, for the producer SDK and raw grain calls.</summary>
    public async Task<IHost> Client()
    {
        if (_client is not null)
        {
            return _client;
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                // The bench names the cluster for both modes (Orleans__ClusterId / Orleans__ServiceId).
                o.ClusterId = "bench";
                o.ServiceId = "bench";
            });
            if (Mode == ReHomeMode.Embedded)
            {
                client.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, _siloGatewayPort));
            }
            else
            {
                client.UseRedisClustering(_redis!);
            }
        });
        builder.Services.AddReHomeProducer();
        var host = builder.Build();
        await host.StartAsync();
        _client = host;
        return host;
    }

    public async Task<IProducerDriver> CreateProducer(ProducerKind kind) => kind switch
    {
        ProducerKind.Sdk => new SdkProducer((await Client()).Services.GetRequiredService<IStreamProducer>()),
        _ => new HttpProducer(_gatewayBase, _serviceKey),
    };

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            try
            {
                await _client.StopAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception)
            {
                // The silo may already be gone.
            }

            _client.Dispose();
        }

        // Gateway first, then silo, then Redis: each stops while what it depends on still answers.
        for (var i = _processes.Count - 1; i >= 0; i--)
        {
            await _processes[i].DisposeAsync();
        }
    }

    private static string RedisBinary() =>
        new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
        ?? throw new FileNotFoundException("redis-server is not installed (apt-get install redis-server); the cluster and cohosted modes need it. Use --mode embedded without it.");

    private static async Task WaitForRedis(int port)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try
            {
                await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},connectTimeout=500");
                await connection.GetDatabase().PingAsync();
                return;
            }
            catch (StackExchange.Redis.RedisConnectionException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }
}
