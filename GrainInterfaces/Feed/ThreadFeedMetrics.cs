using System.Diagnostics.Metrics;

namespace ReHome.Feed;

/// <summary>
/// The relays' instruments, on the <c>ReHome.Feed</c> meter of each silo. Delivered entries ÷ deliveries is how many
/// entries a delivery call carries: 1 when each token travels alone, more under load.
/// </summary>
public sealed class ThreadFeedMetrics
{
    public const string MeterName = "ReHome.Feed";

    private readonly Counter<long> _published;
    private readonly Counter<long> _deliveries;
    private readonly Counter<long> _deliveredEntries;
    private readonly Counter<long> _failedDeliveries;
    private readonly Counter<long> _droppedSubscribers;
    private readonly Counter<long> _lostEntries;

    public ThreadFeedMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _published = meter.CreateCounter<long>("rehome.feed.published_entries",
            description: "Entries (a stream's events from one publish) that reached a relay, whether or not anyone subscribed.");
        _deliveries = meter.CreateCounter<long>("rehome.feed.deliveries", description: "Delivery calls from relays to subscribers (gateways).");
        _deliveredEntries = meter.CreateCounter<long>("rehome.feed.delivered_entries", description: "Entries those calls carried.");
        _failedDeliveries = meter.CreateCounter<long>("rehome.feed.failed_deliveries",
            description: "Delivery calls that failed; their threads were marked lost, and the subscriber catches them up from the grains.");
        _droppedSubscribers = meter.CreateCounter<long>("rehome.feed.dropped_subscribers",
            description: "Subscribers a relay forgot after failed deliveries; a live one registers again at its next check.");
        _lostEntries = meter.CreateCounter<long>("rehome.feed.lost_entries",
            description: "Entries not held for a subscriber that was already MaxPendingPerSubscriber behind; it catches those threads up from the grains.");
    }

    internal void Published(int entries) => _published.Add(entries);

    internal void Delivered(int entries)
    {
        _deliveries.Add(1);
        _deliveredEntries.Add(entries);
    }

    internal void DeliveryFailed(bool dropped)
    {
        _failedDeliveries.Add(1);
        if (dropped)
        {
            _droppedSubscribers.Add(1);
        }
    }

    internal void Lost() => _lostEntries.Add(1);
}
