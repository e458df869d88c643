namespace ReHome.Gateway.Hubs;

/// <summary>
/// The <c>detail</c> of a done event for a stream a viewer stopped: <c>stopped by {userId}</c>, then <c>: {reason}</c>
/// when the viewer gave one. Every watcher, and the producer's <see cref="StreamCancelledException"/>, read it.
/// </summary>
internal static class StreamStopper
{
    public const int MaxReasonChars = 500;

    public static string Describe(string userId, string? reason)
    {
        if (reason is null)
        {
            return $"stopped by {userId}";
        }

        if (reason.Length > MaxReasonChars)
        {
            throw new InvalidRequestException("reason", $"reason is longer than {MaxReasonChars} characters.");
        }

        TextRules.EnsureWellFormed(reason, "reason");
        return reason.Length == 0 ? $"stopped by {userId}" : $"stopped by {userId}: {reason}";
    }
}
