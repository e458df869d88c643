namespace ReHome;

/// <summary>What a stream is now: its thread and run, how far it got, and whether (and why) it is done.</summary>
/// <remarks>
/// <see cref="Interrupted"/>: its silo failed after handing out numbers it had not stored, so viewers may hold tokens
/// past <see cref="LastSequence"/> that the stream no longer has. Only a producer holding those tokens can go on: it
/// resends them under their numbers (<see cref="IStreamGrain.AppendMany"/>). Any other may only cancel it.
/// </remarks>
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
    [property: Id(8)] DateTimeOffset? EndedAt,
    [property: Id(9)] bool Interrupted = false);
