using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using ReHome.Gateway.Fanout;
using ReHome.Gateway.Telemetry;

namespace ReHome.Gateway.Hubs;

/// <summary>
/// The browser-facing hub at <c>/hubs/agent</c>. Groups are routing only: every join is authorized against the
/// thread's own access list, and memberships are per connection, so a reconnecting client joins again.
/// </summary>
[Authorize(AuthenticationSchemes = JwtBearerDefaults.AuthenticationScheme)]
internal sealed partial class AgentHub(
    IGrainFactory grains,
    ThreadFanout fanout,
    GatewayMetrics metrics,
    ResumeTracker resumes,
    ILogger<AgentHub> logger) : Hub
{
    private const string JoinedKey = "joined";

    private string UserId => Context.UserIdentifier ?? throw new HubException("forbidden: the token has no subject.");

    private ThreadMemberships Joined => (ThreadMemberships)Context.Items[JoinedKey]!;

    public static string Group(string threadId) => "thread:" + threadId;

    public override Task OnConnectedAsync()
    {
        Context.Items[JoinedKey] = new ThreadMemberships();
        metrics.ConnectionOpened();
        return Task.CompletedTask;
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        metrics.ConnectionClosed();
        foreach (var threadId in Joined.Close())
        {
            metrics.ThreadLeft();
            if (exception is not null)
            {
                resumes.Departed(UserId, threadId);
            }

            try
            {
                await fanout.Leave(threadId);
            }
            catch (Exception ex)
            {
                LogLeaveFailed(logger, ex, threadId);
            }
        }
    }

    /// <summary>Joins a thread the user may watch; returns its open and recent streams with their progress.</summary>
    public async Task<ThreadStream[]> JoinThread(string threadId)
    {
        RequireId(threadId, "threadId");
        var thread = grains.GetGrain<IThreadGrain>(threadId);
        if (!await thread.CanAccess(UserId))
        {
            throw new HubException($"forbidden: you may not watch thread '{threadId}'.");
        }

        if (!Joined.Contains(threadId))
        {
            // Into the group first, so nothing published after the subscription is missed by this connection.
            await Groups.AddToGroupAsync(Context.ConnectionId, Group(threadId));
            try
            {
                await fanout.Join(threadId);
            }
            catch
            {
                await Groups.RemoveFromGroupAsync(Context.ConnectionId, Group(threadId));
                throw;
            }

            if (!Joined.TryAdd(threadId))
            {
                // The connection closed while this join was subscribing; nobody will leave for it.
                await fanout.Leave(threadId);
                throw new HubException("unavailable: the connection closed during the join.");
            }

            metrics.ThreadJoined();
            resumes.Joined(UserId, threadId);
        }

        var streams = await thread.GetStreams();
        return [.. streams.Select(ThreadStream.From)];
    }

    public async Task LeaveThread(string threadId)
    {
        RequireId(threadId, "threadId");
        if (Joined.Remove(threadId))
        {
            await Groups.RemoveFromGroupAsync(Context.ConnectionId, Group(threadId));
            await fanout.Leave(threadId);
            metrics.ThreadLeft();
        }
    }

    /// <summary>The tokens of a stream after a sequence, to fill a gap; allowed through the stream's thread.</summary>
    public async Task<TokenPageMessage> GetTokens(string streamId, long afterSequence)
    {
        RequireId(streamId, "streamId");
        var stream = grains.GetGrain<IStreamGrain>(streamId);

        // Access first, so a stranger never makes the grain read out a stream's history.
        var info = await stream.GetInfo();
        if (!await grains.GetGrain<IThreadGrain>(info.ThreadId).CanAccess(UserId))
        {
            throw new HubException($"forbidden: you may not watch stream '{streamId}'.");
        }

        var page = await stream.GetTokens(afterSequence);

        if (afterSequence > 0)
        {
            // A first history load asks from 0; anything later is a viewer filling a gap or resuming.
            metrics.GapFilled();
        }

        return TokenPageMessage.From(page);
    }

    /// <summary>
    /// Stops a stream for everyone watching it (the producer's next append fails with <c>stream_cancelled</c>);
    /// allowed to anyone who may watch the stream's thread. Stopping an ended stream changes nothing and says how it ended.
    /// </summary>
    public async Task<CancelStreamResult> CancelStream(string streamId, string? reason)
    {
        RequireId(streamId, "streamId");
        var stopper = StreamStopper.Describe(UserId, reason);
        var stream = grains.GetGrain<IStreamGrain>(streamId);
        await RequireAccess(stream, streamId);
        if (await stream.Cancel(stopper))
        {
            return new CancelStreamResult(streamId, true, Reasons.Name(StreamEndReason.Cancelled), stopper);
        }

        var info = await stream.GetInfo();
        return new CancelStreamResult(streamId, false, Reasons.Name(info.Reason), info.Detail);
    }

    /// <summary>Who is watching a thread now; allowed to anyone who may watch it.</summary>
    public async Task<PresenceMessage> GetPresence(string threadId)
    {
        RequireId(threadId, "threadId");
        if (!await grains.GetGrain<IThreadGrain>(threadId).CanAccess(UserId))
        {
            throw new HubException($"forbidden: you may not watch thread '{threadId}'.");
        }

        return PresenceMessage.From(await grains.GetGrain<IPresenceGrain>(threadId).Get());
    }

    private async Task RequireAccess(IStreamGrain stream, string streamId)
    {
        var info = await stream.GetInfo();
        if (!await grains.GetGrain<IThreadGrain>(info.ThreadId).CanAccess(UserId))
        {
            throw new HubException($"forbidden: you may not watch stream '{streamId}'.");
        }
    }

    private static void RequireId(string id, string field)
    {
        if (!Ids.IsValid(id))
        {
            throw new HubException($"invalid_request: {field} must be 1–{Ids.MaxLength} characters of A–Z, a–z, 0–9, '_' or '-'.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Releasing thread {ThreadId} after a disconnect failed.")]
    private static partial void LogLeaveFailed(ILogger logger, Exception exception, string threadId);
}
