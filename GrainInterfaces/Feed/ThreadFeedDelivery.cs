using Orleans.Runtime;

namespace ReHome.Feed;

/// <summary>
/// One call from a relay to a subscriber: entries of any of the subscriber's streams, in the order they were
/// published, and the streams whose entries the relay could not deliver since the last call (see
/// <see cref="ThreadFeedRelay"/>), which the subscriber must catch up on from their source.
/// </summary>
[GenerateSerializer, Immutable, Alias("rehome.feed.delivery")]
public sealed record ThreadFeedDelivery([property: Id(0)] ThreadFeedEntry[] Entries, [property: Id(1)] StreamId[] Lost);
