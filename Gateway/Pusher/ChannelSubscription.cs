namespace ReHome.Gateway.Pusher;

/// <summary>
/// One channel of one Pusher connection, as the thread fan-out sees it. Until the subscription is confirmed to the
/// client, frames the fan-out hands over wait here, so the client reads <c>subscription_succeeded</c> before the
/// channel's first event.
/// </summary>
internal sealed class ChannelSubscription(PusherConnection connection, string channel, string threadId) : IThreadSink
{
    private readonly Lock _lock = new();
    private List<ReadOnlyMemory<byte>[]>? _early = [];

    public string Channel => channel;

    public string ThreadId => threadId;

    public void Deliver(ReadOnlyMemory<byte>[] frames)
    {
        lock (_lock)
        {
            if (_early is not null)
            {
                _early.Add(frames);
                return;
            }
        }

        connection.Send(frames);
    }

    /// <summary>Tells the client the subscription succeeded, then passes on what arrived meanwhile and everything after.</summary>
    public void Confirm()
    {
        lock (_lock)
        {
            connection.Send(PusherFrames.SubscriptionSucceeded(channel));
            foreach (var frames in _early!)
            {
                connection.Send(frames);
            }

            _early = null;
        }
    }
}
