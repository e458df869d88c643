namespace ReHome.Gateway.Api;

// Request and response bodies of the producer API (camelCase JSON). Every field is nullable so that a missing
// one reaches validation and is named in the 400, instead of failing in the JSON reader.

public sealed record ThreadAccessRequest(string? WorkspaceId, string? ProjectId, string? OwnerUserId, string[]? MemberUserIds);

public sealed record StartStreamRequest(string? ThreadId, string? RunId, string? StreamId);

/// <summary>Exactly one of <see cref="Token"/> or <see cref="Tokens"/>. <see cref="Sequence"/>, when given, numbers the (first) token and makes a resend safe.</summary>
public sealed record AppendRequest(string? Token, string[]? Tokens, long? Sequence);

public sealed record EndRequest(string? FullResponse, long? LastSequence);

public sealed record CancelRequest(string? Reason);

public sealed record AppendResponse(long FirstSequence, long LastSequence, long DurableThrough);

public sealed record EndResponse(bool Ended);

public sealed record CancelResponse(bool Cancelled);
