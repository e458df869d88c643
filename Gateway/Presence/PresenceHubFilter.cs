using Microsoft.AspNetCore.SignalR;

namespace ReHome.Gateway.Presence;

/// <summary>
/// Follows the hub's joins, leaves and disconnects into <see cref="LocalWatchers"/>, so presence needs no code in
/// the hub's own methods: a successful <c>JoinThread</c> makes the connection a watcher (owed the current presence),
/// <c>LeaveThread</c> and a disconnect end that.
/// </summary>
internal sealed class PresenceHubFilter(LocalWatchers watchers, PresenceRelay relay) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var result = await next(context);
        if (context.HubMethodArguments is [string threadId])
        {
            var connectionId = context.Context.ConnectionId;
            switch (context.HubMethodName)
            {
                case HubContract.JoinThread:
                    relay.Owe(threadId, connectionId);
                    watchers.Joined(connectionId, threadId);
                    break;
                case HubContract.LeaveThread:
                    watchers.Left(connectionId, threadId);
                    break;
            }
        }

        return result;
    }

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        if (context.Context.UserIdentifier is { Length: > 0 } userId)
        {
            watchers.Connected(context.Context.ConnectionId, userId);
        }

        await next(context);
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        try
        {
            await next(context, exception);
        }
        finally
        {
            watchers.Disconnected(context.Context.ConnectionId);
        }
    }
}
