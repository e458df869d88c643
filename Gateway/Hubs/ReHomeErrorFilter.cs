using Microsoft.AspNetCore.SignalR;

namespace ReHome.Gateway.Hubs;

/// <summary>
/// Turns the cluster's typed errors into hub errors whose message starts with the error code
/// (<c>stream_not_found: …</c>, <c>invalid_request: …</c>), so clients can tell a refusal from a fault. Other exceptions
/// stay hidden behind SignalR's generic message.
/// </summary>
internal sealed class ReHomeErrorFilter : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(context);
        }
        catch (ReHomeException ex)
        {
            throw new HubException($"{ex.Code}: {ex.Message}");
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException)
        {
            throw new HubException("unavailable: the cluster did not answer; try again.");
        }
    }
}
