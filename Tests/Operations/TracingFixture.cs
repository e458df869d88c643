using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Operations;

/// <summary>
/// The embedded gateway with tracing on, as an operator turns it on: <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> pointing at
/// an OTLP/HTTP receiver (here a local Kestrel endpoint that keeps what it is sent). An in-memory exporter beside
/// the OTLP one lets the test read the spans as objects.
/// </summary>
public sealed class TracingFixture : GatewayFixture
{
    private WebApplication? _receiver;

    /// <summary>Every span the gateway (and its in-process silo) finished, in the order they ended.</summary>
    public LockedSpans Spans { get; } = [];

    /// <summary>The bodies of the OTLP export requests the receiver got.</summary>
    public ConcurrentQueue<byte[]> OtlpExports { get; } = new();

    private Uri ReceiverAddress { get; set; } = null!;

    protected override Dictionary<string, string?> Settings => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = ReceiverAddress.ToString().TrimEnd('/'),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        ["OTEL_SERVICE_NAME"] = "rehome-tracing-test",
    };

    protected override void ConfigureServices(IServiceCollection services) =>
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(Spans));

    public override async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        _receiver = builder.Build();
        _receiver.MapPost("/v1/traces", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            OtlpExports.Enqueue(body.ToArray());
            return Results.Bytes([], "application/x-protobuf");
        });
        await _receiver.StartAsync();
        ReceiverAddress = new Uri(_receiver.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_receiver is not null)
        {
            await _receiver.DisposeAsync();
        }
    }

    /// <summary>The exporter adds from its own threads; the test reads snapshots.</summary>
    public sealed class LockedSpans : System.Collections.ObjectModel.Collection<Activity>
    {
        public Activity[] Snapshot()
        {
            lock (this)
            {
                return [.. this];
            }
        }

        protected override void InsertItem(int index, Activity item)
        {
            lock (this)
            {
                base.InsertItem(index, item);
            }
        }
    }
}
