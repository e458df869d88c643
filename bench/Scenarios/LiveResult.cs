using ReHome.Bench.Measure;

namespace ReHome.Bench.Scenarios;

public sealed record Percentiles(double P50, double P95, double P99, double Max, long Count)
{
    internal static Percentiles Of(Histogram h) =>
        new(Round(h.PercentileMs(50)), Round(h.PercentileMs(95)), Round(h.PercentileMs(99)), Round(h.MaxMs), h.Count);

    private static double Round(double v) => double.IsNaN(v) ? 0 : Math.Round(v, 2);
}

/// <summary>One live-delivery run against one target.</summary>
public sealed record LiveResult
{
    public required string Target { get; init; }
    public required int Streams { get; init; }
    public required double RatePerStream { get; init; }
    public required int ViewersPerThread { get; init; }
    public required int Viewers { get; init; }
    public required double WarmupSeconds { get; init; }
    public required double DurationSeconds { get; init; }

    public required double OfferedPerSecond { get; init; }
    public required double DeliveredPerSecond { get; init; }
    public required double ExpectedDeliveredPerSecond { get; init; }

    /// <summary>Producer call to viewer receipt, for tokens called inside the window; milliseconds.</summary>
    public required Percentiles DelayMs { get; init; }

    /// <summary>How late the load generator made its calls against their schedule (its own CPU starvation).</summary>
    public required Percentiles SchedulerLagMs { get; init; }

    public required long Sent { get; init; }
    public required long ProducerFailures { get; init; }
    public required long Misnumbered { get; init; }
    public required long Lost { get; init; }
    public required long Duplicated { get; init; }
    public required long OutOfOrder { get; init; }
    public required long Corrupted { get; init; }
    public required long TokensAfterDone { get; init; }
    public required long DoneMissing { get; init; }
    public required long ViewersDisconnected { get; init; }
    public string? FirstProducerError { get; init; }

    public required IReadOnlyList<ProcessUsage> Processes { get; init; }

    /// <summary>CPU of the server side (silo + gateway + redis, or the baseline) per 1,000 tokens delivered to viewers.</summary>
    public required double ServerCpuMsPer1kDelivered { get; init; }

    public required double ConnectSeconds { get; init; }

    /// <summary>
    /// ReHome only: the gateway's own delivery-delay histogram (grain numbering → handed to SignalR) over the
    /// window, as the upper bound of the bucket holding the percentile.
    /// </summary>
    public double? ClusterHopP50BucketMs { get; init; }

    public double? ClusterHopP99BucketMs { get; init; }

    /// <summary>
    /// ReHome only: entries (a stream's events from one publish) per delivery call from the feed relays to the
    /// gateway, over production: 1 when each token travels alone, more when calls carry several threads' tokens.
    /// </summary>
    public double? FeedEntriesPerDelivery { get; init; }

    /// <summary>
    /// Managed bytes each server process allocated from just before production began to just after it stopped,
    /// divided by the tokens sent in that time (warm-up included): the per-token allocation cost on the hot path.
    /// </summary>
    public Dictionary<string, double> AllocatedBytesPerTokenSent { get; init; } = [];

    public bool Clean => Lost == 0 && Duplicated == 0 && OutOfOrder == 0 && Corrupted == 0 && DoneMissing == 0
        && ProducerFailures == 0 && Misnumbered == 0 && TokensAfterDone == 0;
}
