namespace ReHome.Smoke;

/// <summary>The smoke command's arguments; unset ones fall back to the same environment variables the services read.</summary>
public sealed record SmokeOptions
{
    public const string Usage = """
        Usage: ReHome.Smoke [thread] [run] [options]

        Streams a message token by token through the producer SDK (or the HTTP API), watches it arrive through a
        real SignalR client on a gateway, ends the stream, and checks the result. One line per check; exit code 0
        only when all pass (1 when a check fails, 130 when Ctrl-C stops it first). Missing thread or run ids are made
        up; a missing thread is created, owned by --user.
        With the environment of deploy/local-cluster.sh, no argument is needed.
        ReHome.Smoke --mint-token USER prints a viewer token instead (see --mint-token --help).

          --stream-id ID        stream id (default: new); with --concurrency N, ID-1 … ID-N
          --producer sdk|http   sdk: the producer SDK, an Orleans client through Redis (default);
                                http: the first gateway's HTTP producer API, no Redis (works with the embedded
                                gateway); a thread id given is taken as existing and watched as --user
                                                                            [env REHOME_SMOKE_PRODUCER]
          --service-key KEY     with --producer http: a key of the gateway's Auth:ServiceKeys
                                                                            [env Auth__ServiceKeys__0]
          --redis CS            Redis connection string of the cluster (sdk) [env Redis__ConnectionString]
          --gateway URL         a gateway; repeat for more (the viewer fails over between them)
                                                                            [env REHOME_GATEWAYS, space separated]
          --signing-key KEY     the gateways' Auth:SigningKey, to sign the viewer's token [env Auth__SigningKey]
          --token JWT           a viewer token to use instead of signing one
          --user ID             the viewer's user id (default: the thread's owner, or "smoke" for a new thread)
          --concurrency N       smoke streams at once, each with its own thread, run and viewer (default 1)
          --tokens N            tokens per stream (default 40)
          --rate N              tokens per second per stream (default 50)
          --timeout SECONDS     how long to wait for the viewer to see the end (default 30)
          --cluster-id ID       Orleans cluster id (default rehome)          [env Orleans__ClusterId]
          --service-id ID       Orleans service id (default rehome)          [env Orleans__ServiceId]
          --issuer ISS          token issuer (default rehome)                [env Auth__Issuer]
          --audience AUD        token audience (default rehome-gateway)      [env Auth__Audience]
        """;

    public string? ThreadId { get; init; }
    public string? RunId { get; init; }
    public string? StreamId { get; init; }
    public bool Http { get; init; }
    public string? ServiceKey { get; init; }
    public string? Redis { get; init; }
    public required IReadOnlyList<Uri> Gateways { get; init; }
    public string? SigningKey { get; init; }
    public string? Token { get; init; }
    public string? User { get; init; }
    public int Concurrency { get; init; } = 1;
    public int Tokens { get; init; } = 40;
    public double Rate { get; init; } = 50;
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
    public string ClusterId { get; init; } = "rehome";
    public string ServiceId { get; init; } = "rehome";
    public string Issuer { get; init; } = "rehome";
    public string Audience { get; init; } = "rehome-gateway";

    /// <exception cref="ArgumentException">A usage error, with a message that says which.</exception>
    public static SmokeOptions Parse(IReadOnlyList<string> args, Func<string, string?> env)
    {
        var positional = new List<string>();
        var named = new Dictionary<string, List<string>>();
        for (var i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                positional.Add(args[i]);
                continue;
            }

            var (name, value) = args[i].IndexOf('=') is var eq and > 0
                ? (args[i][2..eq], args[i][(eq + 1)..])
                : (args[i][2..], i + 1 < args.Count ? args[++i] : throw new ArgumentException($"--{args[i][2..]} needs a value."));
            // The old command spelled it --stream_id.
            name = name.Replace('_', '-');
            if (!Known.Contains(name))
            {
                throw new ArgumentException($"Unknown option --{name}.");
            }

            (named.TryGetValue(name, out var list) ? list : named[name] = []).Add(value);
        }

        if (positional.Count > 2)
        {
            throw new ArgumentException($"At most two arguments (thread, run); got {positional.Count}.");
        }

        string? One(string name, string? envName = null) => named.TryGetValue(name, out var v) ? v[^1] : envName is null ? null : env(envName);
        var gateways = named.TryGetValue("gateway", out var g) ? g
            : (env("REHOME_GATEWAYS") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();

        var options = new SmokeOptions
        {
            ThreadId = positional.ElementAtOrDefault(0),
            RunId = positional.ElementAtOrDefault(1),
            StreamId = One("stream-id"),
            Http = One("producer", "REHOME_SMOKE_PRODUCER") switch
            {
                null or "sdk" => false,
                "http" => true,
                var other => throw new ArgumentException($"--producer must be sdk or http, not '{other}'."),
            },
            ServiceKey = One("service-key", "Auth__ServiceKeys__0"),
            Redis = One("redis", "Redis__ConnectionString") is { Length: > 0 } redis ? redis : null,
            Gateways = gateways.Count > 0 ? [.. gateways.Select(ParseUrl)]
                : throw new ArgumentException("--gateway (or REHOME_GATEWAYS) is required."),
            SigningKey = One("signing-key", "Auth__SigningKey"),
            Token = One("token"),
            User = One("user"),
            Concurrency = Number(One("concurrency"), 1, 1, 10_000, "concurrency"),
            Tokens = Number(One("tokens"), 40, 1, 1_000_000, "tokens"),
            Rate = One("rate") is { } rate ? double.TryParse(rate, System.Globalization.CultureInfo.InvariantCulture, out var r) && r > 0 ? r
                : throw new ArgumentException("--rate must be a positive number.") : 50,
            Timeout = TimeSpan.FromSeconds(Number(One("timeout"), 30, 1, 3600, "timeout")),
            ClusterId = One("cluster-id", "Orleans__ClusterId") ?? "rehome",
            ServiceId = One("service-id", "Orleans__ServiceId") ?? "rehome",
            Issuer = One("issuer", "Auth__Issuer") ?? "rehome",
            Audience = One("audience", "Auth__Audience") ?? "rehome-gateway",
        };

        if (!options.Http && options.Redis is null)
        {
            throw new ArgumentException("--redis (or Redis__ConnectionString) is required, or --producer http.");
        }

        if (options.Http && string.IsNullOrEmpty(options.ServiceKey))
        {
            throw new ArgumentException("--service-key (or Auth__ServiceKeys__0) is required with --producer http.");
        }

        if (options.Token is null && string.IsNullOrEmpty(options.SigningKey))
        {
            throw new ArgumentException("--signing-key (or Auth__SigningKey) or --token is required for the viewer.");
        }

        foreach (var (id, field) in new[] { (options.ThreadId, "thread"), (options.RunId, "run"), (options.StreamId, "--stream-id") })
        {
            if (id is not null && !Ids.IsValid(id))
            {
                throw new ArgumentException($"{field} must be 1–{Ids.MaxLength} characters of A–Z, a–z, 0–9, '_' or '-'.");
            }
        }

        return options;
    }

    private static readonly HashSet<string> Known =
    [
        "stream-id", "producer", "service-key", "redis", "gateway", "signing-key", "token", "user", "concurrency", "tokens", "rate", "timeout",
        "cluster-id", "service-id", "issuer", "audience",
    ];

    private static Uri ParseUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri
            : throw new ArgumentException($"--gateway '{value}' is not an http(s) URL.");

    private static int Number(string? value, int fallback, int min, int max, string name) =>
        value is null ? fallback
            : int.TryParse(value, out var n) && n >= min && n <= max ? n
            : throw new ArgumentException($"--{name} must be a whole number from {min} to {max}.");
}
