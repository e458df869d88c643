using Orleans.Runtime;

namespace ReHome.Feed;

/// <summary>
/// What a producer put on a thread feed in one publish: the events of one Orleans stream, in order, and the
/// producer's request context when it had one (trace ids). The queue numbers it when it is read.
/// </summary>
[GenerateSerializer, Immutable, Alias("rehome.feed.entry")]
public sealed record ThreadFeedEntry(
    [property: Id(0)] StreamId StreamId,
    [property: Id(1)] object[] Events,
    [property: Id(2)] Dictionary<string, object>? RequestContext);
