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
        if (ClusterDefaults.RedisConnectionString(builder.Configuration) is not null)
        {
            builder.AddTimestampedConsole();
        }

        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter("Microsoft.Orleans")
            .AddMeter(meters)
            .AddRuntimeInstrumentation()
            .AddAspNetCoreInstrumentation()
            .AddPrometheusExporter());
        TracingDefaults.AddTo(builder);

        var health = builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        if (ClusterDefaults.RedisConnectionString(builder.Configuration) is { } redis)
        {
            health.AddTypeActivatedCheck<RedisHealthCheck>("redis", failureStatus: null, tags: [ReadyTag], args: redis);
        }

        return builder;
    }

    public static WebApplication MapServiceDefaults(this WebApplication app)
    {
        app.MapHealthChecks("/health", new() { Predicate = check => check.Tags.Contains(LiveTag) });
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains(ReadyTag) });
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
