namespace ReHome;

/// <summary>
/// An item on a thread's Orleans stream. A stream grain publishes <see cref="TokensAppended"/> for its tokens
/// and one <see cref="StreamEnded"/> when it is done, in sequence order.
/// </summary>
[GenerateSerializer, Immutable, Alias("rehome.ThreadEvent")]
public abstract record ThreadEvent(
    [property: Id(0)] string ThreadId,
    [property: Id(1)] string RunId,
    [property: Id(2)] string StreamId);

/// <summary>
/// One or more consecutive tokens of one stream. Token <c>i</c> has sequence <c>FirstSequence + i</c>.
/// Tokens that arrive while a publish is in flight go out together in the next one.
/// <see cref="AppendedAt"/> is when the grain numbered the first of them (UTC, the silo's clock).
/// <see cref="TraceParent"/> is the W3C trace context of the publish (null when that append was not traced), so a
/// gateway's delivery joins the producer's trace across the stream hop.
/// </summary>
[GenerateSerializer, Immutable, Alias("rehome.TokensAppended")]
public sealed record TokensAppended(
    string ThreadId,
    string RunId,
    string StreamId,
    [property: Id(0)] long FirstSequence,
    [property: Id(1)] string[] Tokens,
    [property: Id(2)] DateTime AppendedAt,
    [property: Id(3)] string? TraceParent = null) : ThreadEvent(ThreadId, RunId, StreamId)
{
    public long LastSequence => FirstSequence + Tokens.Length - 1;
}

/// <summary>
/// The stream is done. <see cref="LastSequence"/> is the sequence of its last token (0 when it had none).
/// <see cref="TraceParent"/> as on <see cref="TokensAppended"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("rehome.StreamEnded")]
public sealed record StreamEnded(
    string ThreadId,
    string RunId,
    string StreamId,
    [property: Id(0)] long LastSequence,
    [property: Id(1)] string? FullResponse,
    [property: Id(2)] StreamEndReason Reason,
    [property: Id(3)] string? Detail,
    [property: Id(4)] string? TraceParent = null) : ThreadEvent(ThreadId, RunId, StreamId);
