using Microsoft.AspNetCore.Http;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using ReHome.Grains;

namespace ReHome.Silo;

/// <summary>
/// OpenTelemetry traces, exported over OTLP and configured by the standard <c>OTEL_EXPORTER_OTLP_*</c> variables
/// (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, <c>_PROTOCOL</c>, <c>_HEADERS</c>, <c>OTEL_TRACES_SAMPLER</c>,
/// <c>OTEL_SERVICE_NAME</c>, …). Off, at no cost, while no endpoint is set. One trace follows a token: ASP.NET Core's
/// request, Orleans' grain calls (activity propagation), the grain's publish and the gateway's delivery and hub send.
/// </summary>
public static class TracingDefaults
{
    /// <summary>Orleans' grain-call sources and ours (<c>ReHome.Grains</c>, <c>ReHome.Gateway</c>).</summary>
    public static readonly string[] Sources = ["Microsoft.Orleans.Application", "Microsoft.Orleans.Runtime", GrainTracing.SourceName, GatewaySourceName];

    /// <summary>The gateway's delivery spans (its DeliveryTracing source; the gateway references this project, not the reverse).</summary>
    public const string GatewaySourceName = "ReHome.Gateway";

    public static bool Enabled(IConfiguration configuration) =>
        (Set(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) || Set(configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]))
        && !string.Equals(configuration["OTEL_SDK_DISABLED"], "true", StringComparison.OrdinalIgnoreCase);

    internal static void AddTo(IHostApplicationBuilder builder)
    {
        if (!Enabled(builder.Configuration))
        {
            return;
        }

        var serviceName = builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } named ? named : builder.Environment.ApplicationName;
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(tracing => tracing
                .AddSource(Sources)
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsProbe(context.Request.Path))
                .AddOtlpExporter());
    }

    /// <summary>Health checks and scrapes would be most of the traces, and tell nothing.</summary>
    private static bool IsProbe(PathString path) => path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics");

    private static bool Set(string? value) => !string.IsNullOrWhiteSpace(value);
}
