using System.Globalization;
using ReHome.Bench.Hosting;

namespace ReHome.Bench;

/// <summary>The command line: <c>&lt;scenario&gt; [--flag value]…</c>; see README.md for every flag.</summary>
internal sealed class BenchOptions
{
    public string Scenario { get; private set; } = "light";

    /// <summary><c>cluster</c> (redis + silo + gateway processes), <c>embedded</c> (one gateway process) or <c>cohosted</c> (redis + a gateway process that is also a silo); see <see cref="Silos"/>.</summary>
    public ReHomeMode Mode { get; private set; }

    /// <summary>How many silos: silo processes (<c>cluster</c>) or co-hosted nodes, which viewers spread over (<c>cohosted</c>).</summary>
    public int Silos { get; private set; } = 1;

    public ProducerKind Producer { get; private set; } = ProducerKind.Sdk;

    public bool MessagePack { get; private set; }

    /// <summary>Viewers on the gateway's Pusher endpoint (as Echo) instead of the SignalR hub; ReHome only.</summary>
    public bool PusherClient { get; private set; }

    public double? Duration { get; private set; }

    public double? Warmup { get; private set; }

    public int? Streams { get; private set; }

    public double? Rate { get; private set; }

    public int? Viewers { get; private set; }

    public int? Connections { get; private set; }

    public int? TokensPerStream { get; private set; }

    public bool Baseline { get; private set; } = true;

    public bool RunReHome { get; private set; } = true;

    /// <summary>Assert zero lost, duplicated, reordered tokens; exit non-zero otherwise. Timings are never asserted.</summary>
    public bool Check { get; private set; }

    /// <summary>Take a heap snapshot (dotnet-gcdump) after the memory scenarios' measurement.</summary>
    public bool GcDump { get; private set; }

    public string Output { get; private set; } = Path.Combine(RepoPaths.Root, "bench", "results");

    public (int From, int To) PortRange { get; private set; } = (28000, 28999);

    /// <summary>Extra settings for the silo and gateway processes (<c>--env Streams__CheckpointInterval=00:00:01</c>).</summary>
    public Dictionary<string, string> Env { get; } = [];

    /// <summary>Free text stored with the results, to tell experiments apart.</summary>
    public string? Label { get; private set; }

    /// <summary>Collect a dotnet-trace CPU sample profile of these processes during the measured window.</summary>
    public HashSet<string> Profile { get; } = [];

    /// <summary><c>perf</c> (on-CPU samples, default) or <c>trace</c> (dotnet-trace thread time).</summary>
    public string Profiler { get; private set; } = "perf";

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        var i = 0;
        if (args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal))
        {
            options.Scenario = args[0];
            i = 1;
        }

        for (; i < args.Length; i++)
        {
            var flag = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{flag} needs a value.");
            switch (flag)
            {
                case "--mode":
                    options.Mode = Value() switch
                    {
                        "cluster" => ReHomeMode.Cluster,
                        "embedded" => ReHomeMode.Embedded,
                        "cohosted" => ReHomeMode.CoHosted,
                        var other => throw new ArgumentException($"--mode is cluster, embedded or cohosted, not {other}."),
                    };
                    break;
                case "--silos": options.Silos = (int)Number(Value()); break;
                case "--producer":
                    options.Producer = Value() switch
                    {
                        "sdk" => ProducerKind.Sdk,
                        "http" => ProducerKind.Http,
                        var other => throw new ArgumentException($"--producer is sdk or http, not {other}."),
                    };
                    break;
                case "--protocol":
                    options.MessagePack = Value() switch
                    {
                        "json" => false,
                        "messagepack" => true,
                        var other => throw new ArgumentException($"--protocol is json or messagepack, not {other}."),
                    };
                    break;
                case "--client":
                    options.PusherClient = Value() switch
                    {
                        "hub" => false,
                        "pusher" => true,
                        var other => throw new ArgumentException($"--client is hub or pusher, not {other}."),
                    };
                    break;
                case "--duration": options.Duration = Number(Value()); break;
                case "--warmup": options.Warmup = Number(Value()); break;
                case "--streams": options.Streams = (int)Number(Value()); break;
                case "--rate": options.Rate = Number(Value()); break;
                case "--viewers": options.Viewers = (int)Number(Value()); break;
                case "--connections": options.Connections = (int)Number(Value()); break;
                case "--tokens": options.TokensPerStream = (int)Number(Value()); break;
                case "--no-baseline": options.Baseline = false; break;
                case "--baseline-only": options.RunReHome = false; break;
                case "--check": options.Check = true; break;
                case "--gcdump": options.GcDump = true; break;
                case "--out": options.Output = Path.GetFullPath(Value()); break;
                case "--label": options.Label = Value(); break;
                case "--profile":
                    foreach (var name in Value().Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        options.Profile.Add(name);
                    }

                    break;
                case "--profiler":
                    options.Profiler = Value() switch
                    {
                        var kind and ("perf" or "trace" or "alloc") => kind,
                        var other => throw new ArgumentException($"--profiler is perf, trace or alloc, not {other}."),
                    };
                    break;
                case "--ports":
                    var range = Value().Split('-');
                    options.PortRange = (int.Parse(range[0], CultureInfo.InvariantCulture), int.Parse(range[1], CultureInfo.InvariantCulture));
                    break;
                case "--env":
                    var pair = Value();
                    var eq = pair.IndexOf('=');
                    if (eq <= 0)
                    {
                        throw new ArgumentException("--env takes KEY=VALUE.");
                    }

                    options.Env[pair[..eq]] = pair[(eq + 1)..];
                    break;
                default:
                    throw new ArgumentException($"Unknown flag {flag}; see bench/README.md.");
            }
        }

        if (options.Silos < 1 || (options.Silos > 1 && options.Mode == ReHomeMode.Embedded))
        {
            throw new ArgumentException("--silos is 1 or more, and more than 1 only with --mode cluster or cohosted.");
        }

        if (options.PusherClient)
        {
            // The baseline has no Pusher endpoint: compare with a --client hub run of the same scenario instead.
            options.Baseline = false;
            foreach (var (key, value) in Load.PusherViewer.GatewaySettings)
            {
                options.Env.TryAdd(key, value);
            }
        }

        return options;
    }

    public string ClientName => PusherClient ? "pusher" : "hub";

    public string ModeName => Mode.ToString().ToLowerInvariant();

    public string ProducerName => Producer == ProducerKind.Sdk ? "sdk" : "http";

    public string ProtocolName => MessagePack ? "messagepack" : "json";

    private static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);
}
