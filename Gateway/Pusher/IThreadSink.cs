namespace ReHome.Gateway.Pusher;

/// <summary>Where a thread's messages go for one Pusher connection: already encoded as its channel's frames.</summary>
internal interface IThreadSink
{
    /// <summary>Queues the frames in order without waiting; a sink that is too far behind closes itself.</summary>
    void Deliver(ReadOnlyMemory<byte>[] frames);
}
