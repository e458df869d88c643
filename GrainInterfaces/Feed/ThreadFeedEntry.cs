using Orleans.Runtime;

namespace ReHome.Feed;

/// <summary>What a producer put on a thread feed in one publish: the events of one Orleans stream, in order.</summary>
[GenerateSerializer, Immutable, Alias("rehome.feed.entry")]
public sealed record ThreadFeedEntry([property: Id(0)] StreamId StreamId, [property: Id(1)] object[] Events);
