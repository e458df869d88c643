using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using ReHome.Gateway.Fanout;

namespace ReHome.Gateway.Hubs;

/// <summary>
/// A hub connection as the fan-out's viewer transport. A thread's batch is serialized once per SignalR protocol
/// (<see cref="SignalRFormat"/>) and each connection writes those bytes itself, as a group send would, but without
/// one connection's write waiting on another's.
/// </summary>
internal sealed class SignalRViewerTransport(HubConnectionContext connection) : IViewerTransport
{
    public ValueTask Send(OutboundBatch batch) => connection.WriteAsync(batch.Prepare(SignalRFormat.Instance));

    public ValueTask Send(BehindMessage behind) => connection.WriteAsync(new InvocationMessage(HubContract.BehindEvent, [behind]));

    public ValueTask Send(RevokedMessage revoked) => connection.WriteAsync(new InvocationMessage(HubContract.RevokedEvent, [revoked]));

    public ValueTask Send(PresenceMessage presence) => connection.WriteAsync(new InvocationMessage(HubContract.PresenceEvent, [presence]));

    public void Abort() => connection.Abort();
}
