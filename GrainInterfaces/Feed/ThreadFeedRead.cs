namespace ReHome.Feed;

/// <summary>Entries taken from a feed queue, oldest first; entry <c>i</c> has queue sequence <c>FirstSequence + i</c>.</summary>
[GenerateSerializer, Immutable, Alias("rehome.feed.read")]
public sealed record ThreadFeedRead(
    [property: Id(0)] long FirstSequence,
    [property: Id(1)] ThreadFeedEntry[] Entries);
