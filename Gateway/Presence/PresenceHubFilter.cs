using Microsoft.AspNetCore.SignalR;
using ReHome.Gateway.Fanout;

namespace ReHome.Gateway.Presence;

/// <summary>
/// Follows the hub's joins, leaves and disconnects into <see cref="LocalWatchers"/>, so presence needs no code in
/// the hub's own methods: a successful <c>JoinThread</c> makes the connection a watcher (owed the current presence),
/// <c>LeaveThread</c> and a disconnect end that.
/// </summary>
internal sealed class PresenceHubFilter(LocalWatchers watchers, PresenceRelay relay, ThreadFanout fanout) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        object? result;
        try
        {
            result = await next(context);
        }
        catch when (context.HubMethodName == HubContract.JoinThread && context.HubMethodArguments is [string refusedThread])
        {
            // A refused join can take a connection that already watched the thread out of it (its user lost access,
            // and this gateway missed the removal): it watches no longer.
            LeftIfNotMember(context.Context.ConnectionId, refusedThread);
            throw;
        }

        if (context.HubMethodArguments is [string threadId])
        {
            var connectionId = context.Context.ConnectionId;
            switch (context.HubMethodName)
            {
                case HubContract.JoinThread when fanout.ViewerOf(connectionId) is { } viewer:
                    Joined(viewer, threadId);
                    break;
                case HubContract.LeaveThread:
                    watchers.Left(connectionId, threadId);
                    break;
            }
        }

        return result;
    }

    private void LeftIfNotMember(string connectionId, string threadId)
    {
        if (fanout.ViewerOf(connectionId) is not { } viewer || !viewer.IsMember(threadId))
        {
            watchers.Left(connectionId, threadId);
        }
    }

    /// <summary>
    /// The join returned, but the connection may have closed, or its user lost access, while it finished: only a
    /// connection still in the thread watches it. A revocation between the check and the record has already taken
    /// the connection out of the fan-out, and its leave may have run before the join was recorded, so check again.
    /// </summary>
    private void Joined(Viewer viewer, string threadId)
    {
        if (!viewer.IsMember(threadId))
        {
            return;
        }

        relay.Owe(threadId, viewer.Id);
        watchers.Joined(viewer.Id, threadId);
        if (!viewer.IsMember(threadId))
        {
            watchers.Left(viewer.Id, threadId);
        }
    }

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        if (context.Context.UserIdentifier is { Length: > 0 } userId)
        {
            watchers.Connected(context.Context.ConnectionId, userId);
        }

        await next(context);
    }

    public Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        // First: leaving presence must not wait for the fan-out's teardown, whose grain calls can wait out a failover.
        watchers.Disconnected(context.Context.ConnectionId);
        return next(context, exception);
    }
}
