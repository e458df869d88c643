using Microsoft.AspNetCore.SignalR;

namespace ReHome.Bench.Load;

/// <summary>The code a hub refusal starts with (<c>forbidden</c>, <c>rate_limited</c>, …), read after SignalR's fixed prefix.</summary>
internal static class HubRefusal
{
    public static string Code(HubException error)
    {
        const string marker = "HubException: ";
        var at = error.Message.IndexOf(marker, StringComparison.Ordinal);
        var message = at < 0 ? error.Message : error.Message[(at + marker.Length)..];
        var colon = message.IndexOf(':');
        return colon > 0 ? message[..colon] : "without a code";
    }
}
