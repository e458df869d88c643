using Orleans.Runtime;

namespace ReHome.Feed;

/// <summary>
/// One call from a relay to a subscriber: entries of any of the subscriber's streams, in the order they were
/// published, and the streams whose entries the relay could not deliver since the last call (see
/// <see cref="ThreadFeedRelay"/>), which the subscriber must catch up on from their source. The last delivery of a
/// relay activation that is going away (its silo stops) names the relay in <see cref="ClosingRelay"/>: the
/// subscriber registers at its next activation at once, rather than when it hears that the silo left.
/// </summary>
[GenerateSerializer, Immutable, Alias("rehome.feed.delivery")]
public sealed record ThreadFeedDelivery(
    [property: Id(0)] ThreadFeedEntry[] Entries,
    [property: Id(1)] StreamId[] Lost,
    [property: Id(2)] string? ClosingRelay = null);
