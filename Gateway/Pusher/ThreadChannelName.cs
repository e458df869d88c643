namespace ReHome.Gateway.Pusher;

/// <summary>
/// The one kind of channel the endpoint serves: <c>private-agent.thread.{threadId}</c>, the seed's private channel
/// <c>agent.thread.{id}</c> as pusher-js names it. Anything else is refused with the reason a client can act on.
/// </summary>
internal static class ThreadChannelName
{
    public const string Prefix = "private-agent.thread.";

    public static string For(string threadId) => Prefix + threadId;

    /// <summary>The thread id, or null with why the channel is refused and the HTTP-like status of the refusal.</summary>
    public static string? Parse(string channel, out string? refusal, out int status)
    {
        status = 0;
        refusal = null;
        if (channel.StartsWith(Prefix, StringComparison.Ordinal))
        {
            var threadId = channel[Prefix.Length..];
            if (Ids.IsValid(threadId))
            {
                return threadId;
            }

            status = 400;
            refusal = $"The thread id in '{channel}' must be 1–{Ids.MaxLength} characters of A–Z, a–z, 0–9, '_' or '-'.";
            return null;
        }

        status = 403;
        refusal = channel switch
        {
            _ when channel.StartsWith("presence-", StringComparison.Ordinal) => "Presence channels are not served here; subscribe to private-agent.thread.{id}.",
            _ when channel.StartsWith("private-encrypted-", StringComparison.Ordinal) => "Encrypted channels are not served here; subscribe to private-agent.thread.{id}.",
            _ when channel.StartsWith("private-", StringComparison.Ordinal) => "Only private-agent.thread.{id} channels are served here.",
            _ => "Public channels are not served here: every thread is private; subscribe to private-agent.thread.{id}.",
        };
        return null;
    }
}
