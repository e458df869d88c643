using ReHome.Gateway.Fanout;

namespace ReHome.Gateway.Pusher;

/// <summary>
/// A Pusher connection as the fan-out's viewer transport: the same per-connection queue, cut and sweep as a hub
/// connection, writing through the connection's one socket writer. A write completes when its frames are on the
/// socket, so a slow client's own queue fills, not another's. Until a channel's subscription is confirmed to the
/// client, what the fan-out hands over for it waits here, so the client reads <c>subscription_succeeded</c> first.
/// </summary>
internal sealed class PusherViewerTransport(PusherConnection connection) : IViewerTransport
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<ReadOnlyMemory<byte>[]>> _unconfirmed = [];

    /// <summary>Before the fan-out join: hold the thread's frames until <see cref="Confirm"/> or <see cref="Forget"/>.</summary>
    public void Hold(string threadId)
    {
        lock (_lock)
        {
            _unconfirmed[threadId] = [];
        }
    }

    /// <summary>Tells the client the subscription succeeded, then passes on what arrived meanwhile and everything after.</summary>
    public void Confirm(string threadId, string channel)
    {
        lock (_lock)
        {
            connection.Send(PusherFrames.SubscriptionSucceeded(channel));
            if (_unconfirmed.Remove(threadId, out var held))
            {
                foreach (var frames in held)
                {
                    _ = connection.Write(frames);
                }
            }
        }
    }

    /// <summary>The join failed: drops what was held.</summary>
    public void Forget(string threadId)
    {
        lock (_lock)
        {
            _unconfirmed.Remove(threadId);
        }
    }

    public ValueTask Send(OutboundBatch batch) => Write(batch.ThreadId, batch.Prepare(PusherFormat.Instance));

    public ValueTask Send(BehindMessage behind) => Write(behind.ThreadId, [PusherFrames.Behind(ThreadChannelName.For(behind.ThreadId), behind)]);

    /// <summary>
    /// Someone lost access to the thread, and the gateway cannot tell whether it is this socket's user. pusher-js cannot
    /// be asked to authorize one channel again, but after a 4200 close it reconnects at once and authorizes every
    /// channel at the app: the users who lost access are refused there, the others are back within a round trip.
    /// </summary>
    public ValueTask Send(RevokedMessage revoked)
    {
        connection.Close(PusherCloseCodes.ReconnectImmediately, PusherCloseCodes.Reason(
            $"Access to {ThreadChannelName.For(revoked.ThreadId)} changed; reconnect and authorize its channels again.",
            "Access to a channel changed; reconnect and authorize its channels again."));
        return ValueTask.CompletedTask;
    }

    /// <summary>Presence is the hub's; a Pusher client's app knows who is on its channels.</summary>
    public ValueTask Send(PresenceMessage presence) => ValueTask.CompletedTask;

    public void Abort() => connection.Close(PusherCloseCodes.OverCapacity, "The client stayed behind; reconnect and catch up.", abandonQueue: true);

    private ValueTask Write(string threadId, ReadOnlyMemory<byte>[] frames)
    {
        lock (_lock)
        {
            if (_unconfirmed.TryGetValue(threadId, out var held))
            {
                held.Add(frames);
                return ValueTask.CompletedTask;
            }

            return connection.Write(frames);
        }
    }
}
