using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using ReHome.Producer;

namespace ReHome.Tests.Faults;

/// <summary>
/// What the backend's producer SDK resent because a stream's grain came back without tokens, read from the SDK's
/// own metric (<c>rehome.producer.resent_tokens</c>) on the backend's meter factory only.
/// </summary>
internal sealed class ResentTokens : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _count;

    public ResentTokens(IServiceProvider backend)
    {
        var scope = backend.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ProducerMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, scope))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "rehome.producer.resent_tokens")
            {
                Interlocked.Add(ref _count, value);
            }
        });
        _listener.Start();
    }

    public long Count => Interlocked.Read(ref _count);

    public void Dispose() => _listener.Dispose();
}
