using Orleans.Runtime;

namespace ReHome.Feed;

/// <summary>
/// What a producer put on a thread feed in one publish: the events of one Orleans stream, in order. Serialized by
/// <see cref="ThreadFeedEntryCodec"/>.
/// </summary>
[Immutable]
public sealed record ThreadFeedEntry(StreamId StreamId, ThreadEvent[] Events);
