namespace ReHome.Smoke;

/// <summary>
/// The gateway's hub contract as a client sees it (see the README's "Gateway contract"); the only place this
/// client spells the hub's method and event names.
/// </summary>
public static class HubContract
{
    public const string Path = "/hubs/agent";

    public const string JoinThread = "JoinThread";
    public const string GetTokens = "GetTokens";

    /// <summary>One <see cref="TokenMessage"/>.</summary>
    public const string TokenEvent = "agent.thread.token";

    /// <summary>An array of <see cref="TokenMessage"/>, in order.</summary>
    public const string TokensEvent = "agent.thread.tokens";
}

/// <summary>A token (<see cref="Done"/> false) or a stream's done event (<see cref="Token"/> null, sequence = last token's).</summary>
public sealed record TokenMessage(
    string ThreadId, string RunId, string StreamId, long Sequence, string? Token, bool Done,
    string? FullResponse, string? Reason, string? Detail);

/// <summary>A stream as <c>JoinThread</c> lists it.</summary>
public sealed record ThreadStream(string StreamId, string RunId, long LastSequence, bool Done, string? Reason, DateTimeOffset StartedAt);

/// <summary>The answer to <c>GetTokens</c>: <see cref="Complete"/> false means history before <see cref="FirstSequence"/> is gone.</summary>
public sealed record TokenPageMessage(
    string ThreadId, string RunId, string StreamId, long FirstSequence, string[] Tokens, long LastSequence,
    bool Complete, bool Done, string? FullResponse, string? Reason, string? Detail);
