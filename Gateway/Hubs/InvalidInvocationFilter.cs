using Microsoft.AspNetCore.SignalR;

namespace ReHome.Gateway.Hubs;

/// <summary>Refuses a call whose arguments could not be bound (see <see cref="ArgumentCheckingProtocol"/>) before the hub method runs.</summary>
internal sealed class InvalidInvocationFilter : IHubFilter
{
    public ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next) =>
        context.HubMethodArguments is [InvalidInvocation invalid]
            ? throw new HubException("invalid_request: " + invalid.Reason)
            : next(context);
}
