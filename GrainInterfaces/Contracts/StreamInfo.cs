namespace ReHome;

/// <summary>What a stream is now: its thread and run, how far it got, and whether (and why) it is done.</summary>
[GenerateSerializer, Immutable, Alias("rehome.StreamInfo")]
public sealed record StreamInfo(
    [property: Id(0)] string StreamId,
    [property: Id(1)] string ThreadId,
    [property: Id(2)] string RunId,
    [property: Id(3)] long LastSequence,
    [property: Id(4)] bool Done,
    [property: Id(5)] StreamEndReason? Reason,
    [property: Id(6)] string? Detail,
    [property: Id(7)] DateTimeOffset StartedAt,
    [property: Id(8)] DateTimeOffset? EndedAt);
