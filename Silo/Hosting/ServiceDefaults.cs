using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;

namespace ReHome.Silo;

/// <summary>
/// What every ReHome process serves the same way: logging levels, OpenTelemetry metrics on a Prometheus
/// endpoint, traces over OTLP when configured (<see cref="TracingDefaults"/>), and health checks tagged <c>live</c> (the process runs) or <c>ready</c> (its dependencies answer).
/// </summary>
public static class ServiceDefaults
{
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";

    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder, params string[] meters)
    {
        // Orleans logs each placement through Polly at Information; keep the console for what matters.
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        // It logs every unhealthy probe as an error, including those of every start; the checks log their changes (HealthTransitions).
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService", LogLevel.Critical);
        if (ClusterDefaults.RedisConnectionString(builder.Configuration) is not null)
        {
            builder.AddTimestampedConsole();
        }

        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddReHomeMetrics(meters).AddPrometheusExporter());
        TracingDefaults.AddTo(builder);

        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        AddMetricsEndpoint(builder.Configuration);
        return builder;
    }

    /// <summary>The name of the Kestrel endpoint added for <c>Metrics:Url</c> beside configured ones.</summary>
    private const string MetricsEndpointName = "ReHomeMetrics";

    /// <summary>
    /// Kestrel binds only its configured endpoints when there are any, and ignores URLs added in code (as
    /// <see cref="MapServiceDefaults"/> adds the metrics URL otherwise): then the metrics URL has to be one of them.
    /// </summary>
    private static void AddMetricsEndpoint(IConfigurationManager configuration)
    {
        var metrics = configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>();
        var endpoints = KestrelEndpointUrls(configuration);
        if (metrics?.Port is { } port && endpoints.Count > 0 && !endpoints.Any(url => MetricsOptions.PortOf(url) == port))
        {
            configuration.AddInMemoryCollection([new($"Kestrel:Endpoints:{MetricsEndpointName}:Url", metrics.Url)]);
        }
    }

    private static List<string> KestrelEndpointUrls(IConfiguration configuration) => configuration
        .GetSection("Kestrel:Endpoints").GetChildren()
        .Where(endpoint => endpoint.Key != MetricsEndpointName)
        .Select(endpoint => endpoint["Url"])
        .OfType<string>()
        .ToList();

    /// <summary>
    /// Makes a silo's readiness wait for Redis, when configured: a silo needs it to join and to store. Not a gateway's,
    /// co-hosted or not: its viewers and appends ride out a Redis outage, and a Redis blip must not empty the load
    /// balancer of every gateway at once.
    /// </summary>
    public static IHostApplicationBuilder AddRedisReadiness(this IHostApplicationBuilder builder)
    {
        if (ClusterDefaults.RedisConnectionString(builder.Configuration) is { } redis)
        {
            RedisConnection.AddTo(builder.Services, redis);
            builder.Services.AddSingleton<RedisHealthCheck>();
            builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: [ReadyTag]);
        }

        return builder;
    }

    /// <summary>The meters every ReHome process exports, <paramref name="meters"/> being its own.</summary>
    public static MeterProviderBuilder AddReHomeMetrics(this MeterProviderBuilder metrics, params string[] meters) => metrics
        .AddMeter("Microsoft.Orleans")
        // Orleans records the size of every message it sends and receives in these two, each with two or three tags:
        // about 4 % of the server's CPU at 25,000 tokens/s (bench/README). The rest of its meter stays.
        .AddView("orleans-messaging-sent-messages-size", MetricStreamConfiguration.Drop)
        .AddView("orleans-messaging-received-messages-size", MetricStreamConfiguration.Drop)
        .AddMeter(meters)
        .AddRuntimeInstrumentation()
        .AddAspNetCoreInstrumentation();

    /// <summary>
    /// Maps health and metrics. Call it early in the pipeline: with <c>Metrics:Url</c> or <c>Metrics:Key</c> it adds
    /// the gate that keeps <c>/metrics</c> to its port and its key, and the metrics port to <c>/metrics</c> and <c>/health</c>.
    /// The metrics URL is listened on beside the <c>urls</c> setting, or beside <c>Kestrel:Endpoints</c> when those are
    /// set (<see cref="AddServiceDefaults"/> adds it there).
    /// </summary>
    public static WebApplication MapServiceDefaults(this WebApplication app)
    {
        var metrics = app.Configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>() ?? new MetricsOptions();
        if (metrics.Port is not null && KestrelEndpointUrls(app.Configuration).Count == 0)
        {
            // Listening on a URL set in code replaces the configured ones, so both go in.
            foreach (var url in (app.Configuration["urls"] ?? "http://localhost:5000").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                app.Urls.Add(url);
            }

            app.Urls.Add(metrics.Url!);
        }

        if (metrics.Port is not null || metrics.Key is { Length: > 0 })
        {
            app.Use(new MetricsGate(metrics).Invoke);
        }

        app.MapHealthChecks("/health", new() { Predicate = check => check.Tags.Contains(LiveTag) });
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains(ReadyTag) });
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    private sealed class MetricsGate(MetricsOptions options)
    {
        private readonly byte[]? _expected = options.Key is { Length: > 0 } key ? Hash("Bearer " + key) : null;

        public Task Invoke(HttpContext http, Func<Task> next)
        {
            // As routing matches: any case, and a trailing slash. An exact match let /Metrics past the key and the port.
            var isMetrics = http.Request.Path.StartsWithSegments("/metrics", StringComparison.OrdinalIgnoreCase);
            if (options.Port is { } port)
            {
                // The local port, not the Host header, which any client can set.
                var onMetricsPort = http.Connection.LocalPort == port;
                if (onMetricsPort ? !(isMetrics || http.Request.Path.StartsWithSegments("/health")) : isMetrics)
                {
                    http.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }
            }

            if (isMetrics && _expected is not null
                && !CryptographicOperations.FixedTimeEquals(_expected, Hash(http.Request.Headers.Authorization.ToString())))
            {
                return Results.Problem(
                    detail: "Send the metrics key as Authorization: Bearer <Metrics:Key>.",
                    statusCode: StatusCodes.Status401Unauthorized,
                    type: "urn:rehome:error:unauthorized",
                    extensions: new Dictionary<string, object?> { ["code"] = "unauthorized" }).ExecuteAsync(http);
            }

            return next();
        }

        private static byte[] Hash(string text) => SHA256.HashData(Encoding.UTF8.GetBytes(text));
    }
}
