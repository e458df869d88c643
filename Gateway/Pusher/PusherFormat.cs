using ReHome.Gateway.Fanout;

namespace ReHome.Gateway.Pusher;

/// <summary>A thread's batch as Pusher frames on its channel, one <c>agent.thread.token</c> frame per message; made once per batch.</summary>
internal sealed class PusherFormat : IWireFormat<ReadOnlyMemory<byte>[]>
{
    public static readonly PusherFormat Instance = new();

    public ReadOnlyMemory<byte>[] Prepare(OutboundBatch batch) => PusherFrames.Tokens(ThreadChannelName.For(batch.ThreadId), batch.Messages);
}
