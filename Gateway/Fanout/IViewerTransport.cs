namespace ReHome.Gateway.Fanout;

/// <summary>
/// The socket side of a <see cref="Viewer"/>: a SignalR hub connection today, a Pusher-protocol WebSocket later.
/// Writes complete when the bytes are handed to the connection's own buffer; a viewer writes one thing at a time.
/// </summary>
internal interface IViewerTransport
{
    ValueTask Send(OutboundBatch batch);

    ValueTask Send(BehindMessage behind);

    ValueTask Send(RevokedMessage revoked);

    ValueTask Send(PresenceMessage presence);

    /// <summary>Drops the connection (it stayed behind too long); the client reconnects and resumes.</summary>
    void Abort();
}
