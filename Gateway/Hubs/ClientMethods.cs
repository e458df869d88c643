namespace ReHome.Gateway.Hubs;

/// <summary>The names of the events the hub sends to browsers; the only place they are spelled.</summary>
public static class ClientMethods
{
    /// <summary>One <see cref="TokenMessage"/>: a token, or a stream's done event.</summary>
    public const string Token = "agent.thread.token";

    /// <summary>An array of <see cref="TokenMessage"/>, in order: what queued up while the previous send was in flight.</summary>
    public const string Tokens = "agent.thread.tokens";
}
