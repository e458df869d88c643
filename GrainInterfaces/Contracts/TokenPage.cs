namespace ReHome;

/// <summary>
/// The answer to <c>GetTokens(afterSequence)</c>: the retained tokens after that sequence, and how the stream stands.
/// </summary>
/// <remarks>
/// History is bounded (<c>Streams:MaxHistoryTokens</c>, <c>Streams:MaxHistoryBytes</c>); past the bounds the oldest
/// tokens are dropped. When any token after <c>afterSequence</c> is gone, <see cref="Complete"/> is false and
/// <see cref="FirstSequence"/> is past <c>afterSequence + 1</c>: the caller cannot rebuild the text from tokens and
/// must use <see cref="FullResponse"/> once <see cref="Done"/>, or say that part of the answer is missing.
/// </remarks>
[GenerateSerializer, Immutable, Alias("rehome.TokenPage")]
public sealed record TokenPage(
    [property: Id(0)] string StreamId,
    [property: Id(1)] string ThreadId,
    [property: Id(2)] string RunId,
    [property: Id(3)] long FirstSequence,
    [property: Id(4)] string[] Tokens,
    [property: Id(5)] long LastSequence,
    [property: Id(6)] bool Complete,
    [property: Id(7)] bool Done,
    [property: Id(8)] StreamEndReason? Reason,
    [property: Id(9)] string? FullResponse,
    [property: Id(10)] string? Detail);
