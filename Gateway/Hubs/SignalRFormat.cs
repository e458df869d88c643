using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using ReHome.Gateway.Fanout;

namespace ReHome.Gateway.Hubs;

/// <summary>
/// A batch as a SignalR invocation: one message as <c>agent.thread.token</c>, several as <c>agent.thread.tokens</c>.
/// <see cref="SerializedHubMessage"/> serializes it on first use for each protocol (JSON, MessagePack) and keeps the bytes.
/// </summary>
internal sealed class SignalRFormat : IWireFormat<SerializedHubMessage>
{
    public static readonly SignalRFormat Instance = new();

    public SerializedHubMessage Prepare(OutboundBatch batch) => new(batch.Messages.Length == 1
        ? new InvocationMessage(HubContract.TokenEvent, [batch.Messages[0]])
        : new InvocationMessage(HubContract.TokensEvent, [batch.Messages]));
}
