using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using ReHome.Gateway.Auth;
using ReHome.Gateway.Fanout;
using ReHome.Gateway.Quotas;
using ReHome.Gateway.Telemetry;

namespace ReHome.Gateway.Hubs;

/// <summary>
/// The browser-facing hub at <c>/hubs/agent</c>. Every join is authorized against the thread's own access list, and
/// memberships are per connection, so a reconnecting client joins again. Delivery is the fan-out's: each connection
/// is a <see cref="Viewer"/> with its own queue (<see cref="ViewerLifetimeManager"/>), not a member of a SignalR group.
/// </summary>
[Authorize(AuthenticationSchemes = BrowserTokens.Scheme)]
internal sealed class AgentHub(
    IGrainFactory grains,
    ThreadFanout fanout,
    GatewayMetrics metrics,
    ResumeTracker resumes,
    IOptions<QuotaOptions> quotas) : Hub
{
    private string UserId => Context.UserIdentifier ?? throw new HubException("forbidden: the token has no subject.");

    /// <summary>This connection's viewer; a method that awaits takes it first, as the connection may close meanwhile.</summary>
    private Viewer Viewer => fanout.ViewerOf(Context.ConnectionId) ?? throw new HubException("unavailable: the connection closed.");

    public override Task OnConnectedAsync()
    {
        metrics.ConnectionOpened();
        return Task.CompletedTask;
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        // Only connections that opened get here: one refused as it opened is disconnected by ViewerLifetimeManager.
        var threads = fanout.ViewerOf(Context.ConnectionId) is { } viewer ? await fanout.Disconnect(viewer) : [];
        metrics.ConnectionClosed();
        if (exception is not null)
        {
            foreach (var threadId in threads)
            {
                resumes.Departed(UserId, threadId);
            }
        }
    }

    /// <summary>Joins a thread the user may watch; returns its open and recent streams with their progress.</summary>
    public async Task<ThreadStream[]> JoinThread(string threadId)
    {
        RequireId(threadId, "threadId");
        var viewer = Viewer;
        var thread = grains.GetGrain<IThreadGrain>(threadId);
        if (!await thread.CanAccess(UserId))
        {
            // Still a member only if this gateway missed the revocation (or a join's check below failed): leave now.
            if (viewer.IsMember(threadId))
            {
                await fanout.Leave(viewer, threadId);
            }

            throw Forbidden(threadId);
        }

        var limit = quotas.Value.ThreadsPerConnection;
        if (!viewer.IsMember(threadId) && viewer.ThreadCount >= limit)
        {
            throw new HubException($"quota_exceeded: a connection may join at most {limit} threads at a time; leave one first.");
        }

        var joined = await fanout.Join(viewer, threadId);
        switch (joined)
        {
            case JoinResult.ConnectionClosed:
                throw new HubException("unavailable: the connection closed during the join.");
            case JoinResult.Joined when !await StillAllowed(viewer, thread, threadId):
                throw Forbidden(threadId);
        }

        StreamInfo[] streams;
        try
        {
            streams = await thread.GetStreams();
        }
        catch when (joined == JoinResult.Joined)
        {
            // A join that answers with an error has not happened: the caller retries it, and until then the
            // connection must neither get the thread's tokens nor hold a place in its thread quota.
            await fanout.Leave(viewer, threadId);
            throw;
        }

        if (joined == JoinResult.Joined)
        {
            resumes.Joined(UserId, threadId);
        }

        return [.. streams.Select(ThreadStream.From)];
    }

    /// <summary>
    /// Access checked again once the join has subscribed: a revocation that reached this gateway before the connection
    /// was in the thread has passed it by. Unless the check confirms access, the connection leaves again, also when
    /// the check itself fails.
    /// </summary>
    private async Task<bool> StillAllowed(Viewer viewer, IThreadGrain thread, string threadId)
    {
        bool allowed;
        try
        {
            allowed = await thread.CanAccess(UserId);
        }
        catch
        {
            await fanout.Leave(viewer, threadId);
            throw;
        }

        if (!allowed)
        {
            await fanout.Leave(viewer, threadId);
        }

        return allowed;
    }

    public async Task LeaveThread(string threadId)
    {
        RequireId(threadId, "threadId");
        await fanout.Leave(Viewer, threadId);
    }

    /// <summary>The tokens of a stream after a sequence, to fill a gap; allowed through the stream's thread.</summary>
    public async Task<TokenPageMessage> GetTokens(string streamId, long afterSequence)
    {
        RequireId(streamId, "streamId");
        Sequences.Validate(afterSequence, "afterSequence");
        var stream = grains.GetGrain<IStreamGrain>(streamId);
        await RequireAccess(stream, streamId);
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
            throw Forbidden(threadId);
        }

        return PresenceMessage.From(await grains.GetGrain<IPresenceGrain>(threadId).Get());
    }

    /// <summary>
    /// Refuses a caller who may not watch the stream's thread. An unknown stream and one the caller may not watch get
    /// the same answer, so ids cannot be probed; the check comes first, so a stranger never makes the grain read out
    /// or change a stream.
    /// </summary>
    private async Task RequireAccess(IStreamGrain stream, string streamId)
    {
        StreamInfo info;
        try
        {
            info = await stream.GetInfo();
        }
        catch (StreamNotFoundException)
        {
            throw StreamNotFound(streamId);
        }

        if (!await grains.GetGrain<IThreadGrain>(info.ThreadId).CanAccess(UserId))
        {
            throw StreamNotFound(streamId);
        }
    }

    private static HubException Forbidden(string threadId) => new($"forbidden: you may not watch thread '{threadId}'.");

    private static HubException StreamNotFound(string streamId) =>
        new($"stream_not_found: stream '{streamId}' does not exist, has expired, or is not yours to watch.");

    private static void RequireId(string id, string field)
    {
        if (!Ids.IsValid(id))
        {
            throw new HubException($"invalid_request: {field} must be 1–{Ids.MaxLength} characters of A–Z, a–z, 0–9, '_' or '-'.");
        }
    }
}
