using System.Diagnostics.Metrics;

namespace ReHome.Gateway.Telemetry;

/// <summary>The gateway's own instruments, on the <c>ReHome.Gateway</c> meter (exported at <c>/metrics</c>).</summary>
public sealed class GatewayMetrics
{
    public const string MeterName = "ReHome.Gateway";

    private readonly Meter _meter;
    private readonly UpDownCounter<long> _connections;
    private readonly UpDownCounter<long> _joinedThreads;
    private readonly Counter<long> _tokensDelivered;
    private readonly Histogram<double> _deliveryDelay;
    private readonly Counter<long> _resumes;
    private readonly Counter<long> _gapFills;
    private readonly Counter<long> _feedInterruptions;
    private readonly Counter<long> _fellBehind;
    private readonly Counter<long> _slowDisconnects;
    private readonly Counter<long> _revocations;

    public GatewayMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _connections = _meter.CreateUpDownCounter<long>("rehome.gateway.connections", description: "Open SignalR connections.");
        _joinedThreads = _meter.CreateUpDownCounter<long>("rehome.gateway.joined_threads", description: "Thread memberships held by open connections.");
        _tokensDelivered = _meter.CreateCounter<long>("rehome.gateway.tokens_delivered", description: "Tokens and done events handed to a thread's connections (counted once per thread, not per connection).");
        _deliveryDelay = _meter.CreateHistogram("rehome.gateway.delivery_delay", unit: "ms",
            description: "From the grain numbering a token to the gateway handing it to its connections.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000] });
        _resumes = _meter.CreateCounter<long>("rehome.gateway.resumes", description: "Viewers that rejoined a thread within a minute of losing their connection.");
        _gapFills = _meter.CreateCounter<long>("rehome.gateway.gap_fills", description: "Gaps filled: browsers asking for tokens after a sequence (not a first load from 0), and gaps the gateway filled itself from the grain.");
        _feedInterruptions = _meter.CreateCounter<long>("rehome.gateway.feed_interruptions", description: "Times a thread's feed reported events it may not have delivered (a relay failed a delivery, or had lost its subscriptions); each is caught up from the grains.");
        _fellBehind = _meter.CreateCounter<long>("rehome.gateway.connections_behind",
            description: "Times a connection fell behind: its outbound queue was full, was cut, and it was sent agent.thread.behind.");
        _slowDisconnects = _meter.CreateCounter<long>("rehome.gateway.slow_disconnects",
            description: "Connections disconnected because they stayed behind, or their socket took no data, for Gateway:BehindTimeout.");
        _revocations = _meter.CreateCounter<long>("rehome.gateway.revocations",
            description: "Thread memberships ended because the user lost access (agent.thread.revoked).");
    }

    public void ConnectionOpened() => _connections.Add(1);
    public void ConnectionClosed() => _connections.Add(-1);
    public void ThreadJoined() => _joinedThreads.Add(1);
    public void ThreadLeft() => _joinedThreads.Add(-1);
    public void Resumed() => _resumes.Add(1);
    public void GapFilled() => _gapFills.Add(1);
    public void FeedInterrupted() => _feedInterruptions.Add(1);
    public void FellBehind() => _fellBehind.Add(1);
    public void SlowDisconnected() => _slowDisconnects.Add(1);
    public void Revoked() => _revocations.Add(1);

    public void Delivered(int count, TimeSpan? delay)
    {
        _tokensDelivered.Add(count);
        if (delay is { } d)
        {
            _deliveryDelay.Record(Math.Max(0, d.TotalMilliseconds));
        }
    }

    /// <summary>Live Orleans stream subscriptions, read from the fan-out when scraped.</summary>
    public void ObserveSubscriptions(Func<int> count) =>
        _meter.CreateObservableUpDownCounter("rehome.gateway.subscriptions", count, description: "Live Orleans thread subscriptions held by this gateway.");
}
