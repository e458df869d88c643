using ReHome.Bench.Load;

namespace ReHome.Bench.Hosting;

/// <summary>The baseline server (<c>baseline-server</c> subcommand of this binary) as its own process.</summary>
internal sealed class BaselineTarget : ITarget
{
    private readonly ChildProcess _process;
    private readonly string _base;
    private readonly string _serviceKey;
    private readonly Jwt _jwt;

    private BaselineTarget(ChildProcess process, string baseAddress, string serviceKey, Jwt jwt)
    {
        _process = process;
        _base = baseAddress;
        _serviceKey = serviceKey;
        _jwt = jwt;
    }

    public string Name => "baseline";

    public string HubUrl => _base + HubContract.Path;

    public IReadOnlyList<ChildProcess> Processes => [_process];

    public ChildProcess StreamHost => _process;

    public ChildProcess ConnectionHost => _process;

    public IReadOnlyList<ChildProcess> ConnectionHosts => [_process];

    public static async Task<BaselineTarget> Start(BenchOptions options, Ports ports, Jwt jwt, string logDir)
    {
        var baseAddress = $"http://127.0.0.1:{ports.Next()}";
        var serviceKey = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var env = new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Warning",
            ["Urls"] = baseAddress,
            ["Auth__SigningKey"] = jwt.SigningKey,
            ["Auth__ServiceKey"] = serviceKey,
            // The thread-pool setting ReHome's silo and gateway are built with (their project files): without it the
            // baseline's idle workers spin, and server CPU would compare a tuned runtime with an untuned one.
            ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0",
        };
        foreach (var (key, value) in options.Env.Where(kv => kv.Key.StartsWith("DOTNET_", StringComparison.Ordinal)))
        {
            env[key] = value;
        }

        var process = ChildProcess.Dotnet("baseline", RepoPaths.Bench, env, logDir, ["baseline-server"], baseAddress).Start();
        var target = new BaselineTarget(process, baseAddress, serviceKey, jwt);
        try
        {
            await process.WaitHealthy("/health", TimeSpan.FromSeconds(30));
            return target;
        }
        catch
        {
            await target.DisposeAsync();
            throw;
        }
    }

    public async Task<IProducerDriver> CreateProducer(ProducerKind kind) => kind switch
    {
        ProducerKind.Sdk => await BaselineHubProducer.Connect(_base, _jwt.ForService(), connections: 4),
        _ => new HttpProducer(_base, _serviceKey),
    };

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
