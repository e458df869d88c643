using System.Diagnostics.Metrics;

namespace ReHome.Producer;

/// <summary>The producer SDK's instruments, on the <c>ReHome.Producer</c> meter, for the backend to export with its own.</summary>
public sealed class ProducerMetrics
{
    public const string MeterName = "ReHome.Producer";

    private readonly Counter<long> _resentTokens;

    public ProducerMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _resentTokens = meter.CreateCounter<long>("rehome.producer.resent_tokens",
            description: "Tokens sent again under their numbers because the stream's grain came back without them (its silo died before it stored them).");
    }

    internal void Resent(int count) => _resentTokens.Add(count);
}
