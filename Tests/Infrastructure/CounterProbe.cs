using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace ReHome.Tests.Infrastructure;

/// <summary>
/// Sums one counter of one in-process app (the meters its <see cref="IMeterFactory"/> made) from now on. With
/// several apps in the test process, an app's <c>/metrics</c> may show another app's instrument of the same name.
/// </summary>
public sealed class CounterProbe : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _total;
    private long _added;

    public CounterProbe(IServiceProvider app, string instrument)
    {
        var factory = app.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (published, listener) =>
        {
            if (ReferenceEquals(published.Meter.Scope, factory) && published.Name == instrument)
            {
                listener.EnableMeasurementEvents(published);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            Interlocked.Add(ref _total, value);
            if (value > 0)
            {
                Interlocked.Add(ref _added, value);
            }
        });
        _listener.Start();
    }

    public long Total => Interlocked.Read(ref _total);

    /// <summary>The increments alone: for an up-down counter, what was added whatever went away meanwhile.</summary>
    public long Added => Interlocked.Read(ref _added);

    public void Dispose() => _listener.Dispose();
}
