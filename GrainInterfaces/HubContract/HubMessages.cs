using System.Runtime.Serialization;

namespace ReHome;

/// <summary>
/// The payload of <c>agent.thread.token</c>. A token has <see cref="Done"/> false; the done event has
/// <see cref="Token"/> null, <see cref="Done"/> true, <see cref="Sequence"/> equal to the last token's, the
/// <see cref="FullResponse"/> and the <see cref="Reason"/> (<c>completed</c>, <c>cancelled</c>, <c>abandoned</c>).
/// </summary>
/// <remarks>Data-member names keep MessagePack clients on the same camelCase names as JSON ones.</remarks>
[DataContract]
public readonly record struct TokenMessage(
    [property: DataMember(Name = "threadId")] string ThreadId,
    [property: DataMember(Name = "runId")] string RunId,
    [property: DataMember(Name = "streamId")] string StreamId,
    [property: DataMember(Name = "sequence")] long Sequence,
    [property: DataMember(Name = "token")] string? Token,
    [property: DataMember(Name = "done")] bool Done,
    [property: DataMember(Name = "fullResponse")] string? FullResponse,
    [property: DataMember(Name = "reason")] string? Reason,
    [property: DataMember(Name = "detail")] string? Detail)
{
    public static TokenMessage ForToken(ThreadEvent e, long sequence, string token) =>
        new(e.ThreadId, e.RunId, e.StreamId, sequence, token, false, null, null, null);

    public static TokenMessage ForDone(StreamEnded e) =>
        new(e.ThreadId, e.RunId, e.StreamId, e.LastSequence, null, true, e.FullResponse, Reasons.Name(e.Reason), e.Detail);
}

/// <summary>
/// The payload of <c>agent.thread.behind</c>: the connection did not read its socket fast enough, so the gateway
/// dropped its queued messages of this stream after <see cref="LastSequence"/> (the last sequence it was sent;
/// with the done event dropped, the stream's last token). Live messages continue; what was dropped comes from
/// <c>GetTokens(streamId, yourLastSequence)</c>.
/// </summary>
[DataContract]
public sealed record BehindMessage(
    [property: DataMember(Name = "threadId")] string ThreadId,
    [property: DataMember(Name = "streamId")] string StreamId,
    [property: DataMember(Name = "lastSequence")] long LastSequence);

/// <summary>The payload of <c>agent.thread.revoked</c>: the user may no longer watch the thread; the connection left it.</summary>
[DataContract]
public sealed record RevokedMessage([property: DataMember(Name = "threadId")] string ThreadId);

/// <summary>A stream as <c>JoinThread</c> lists it. <see cref="StartedAt"/> is a <see cref="WireTime"/> string.</summary>
[DataContract]
public sealed record ThreadStream(
    [property: DataMember(Name = "streamId")] string StreamId,
    [property: DataMember(Name = "runId")] string RunId,
    [property: DataMember(Name = "lastSequence")] long LastSequence,
    [property: DataMember(Name = "done")] bool Done,
    [property: DataMember(Name = "reason")] string? Reason,
    [property: DataMember(Name = "startedAt")] string StartedAt)
{
    public static ThreadStream From(StreamInfo info) =>
        new(info.StreamId, info.RunId, info.LastSequence, info.Done, Reasons.Name(info.Reason), WireTime.From(info.StartedAt));
}

/// <summary>The answer to <c>GetTokens</c>; see <see cref="TokenPage"/> for what <see cref="Complete"/> means.</summary>
[DataContract]
public sealed record TokenPageMessage(
    [property: DataMember(Name = "threadId")] string ThreadId,
    [property: DataMember(Name = "runId")] string RunId,
    [property: DataMember(Name = "streamId")] string StreamId,
    [property: DataMember(Name = "firstSequence")] long FirstSequence,
    [property: DataMember(Name = "tokens")] string[] Tokens,
    [property: DataMember(Name = "lastSequence")] long LastSequence,
    [property: DataMember(Name = "complete")] bool Complete,
    [property: DataMember(Name = "done")] bool Done,
    [property: DataMember(Name = "fullResponse")] string? FullResponse,
    [property: DataMember(Name = "reason")] string? Reason,
    [property: DataMember(Name = "detail")] string? Detail)
{
    public static TokenPageMessage From(TokenPage page) => new(
        page.ThreadId, page.RunId, page.StreamId, page.FirstSequence, page.Tokens, page.LastSequence,
        page.Complete, page.Done, page.FullResponse, Reasons.Name(page.Reason), page.Detail);
}

public static class Reasons
{
    public static string? Name(StreamEndReason? reason) => reason switch
    {
        StreamEndReason.Completed => "completed",
        StreamEndReason.Cancelled => "cancelled",
        StreamEndReason.Abandoned => "abandoned",
        _ => null,
    };
}
