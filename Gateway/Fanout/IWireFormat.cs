namespace ReHome.Gateway.Fanout;

/// <summary>How one kind of connection (SignalR, later Pusher) puts a batch on the wire; made once per batch.</summary>
internal interface IWireFormat<out T>
    where T : class
{
    T Prepare(OutboundBatch batch);
}
