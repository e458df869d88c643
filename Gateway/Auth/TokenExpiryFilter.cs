using System.Globalization;
using Microsoft.AspNetCore.SignalR;

namespace ReHome.Gateway.Auth;

/// <summary>
/// Access ends when the token does. Sign-in refuses a token from its <c>exp</c> on (<see cref="BrowserTokens"/>), and
/// the connection dispatcher closes an open connection once its token's <c>exp</c> has passed
/// (<c>CloseOnAuthenticationExpiration</c>, checked every second); this refuses what arrives in between, and a
/// connection whose token expired between its negotiate and its WebSocket.
/// </summary>
internal sealed class TokenExpiryFilter(TimeProvider time) : IHubFilter
{
    public Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        EnsureUnexpired(context.Context);
        return next(context);
    }

    public ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        EnsureUnexpired(context.Context);
        return next(context);
    }

    private void EnsureUnexpired(HubCallerContext connection)
    {
        if (connection.User?.FindFirst("exp")?.Value is { } exp
            && long.TryParse(exp, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)
            && time.GetUtcNow().ToUnixTimeSeconds() >= seconds)
        {
            throw new HubException("unauthorized: the access token has expired; connect again with a fresh one.");
        }
    }
}
