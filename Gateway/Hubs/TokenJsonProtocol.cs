using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using ReHome.Gateway.Fanout;

namespace ReHome.Gateway.Hubs;

/// <summary>
/// SignalR's JSON protocol, with the token events (<c>agent.thread.token</c>, <c>agent.thread.tokens</c>) written by
/// <see cref="TokenMessageJson"/> instead of through System.Text.Json's converters. The bytes are the ones the inner
/// protocol writes (<c>TokenJsonProtocolTests</c> compares them under the gateway's own options); every other message,
/// and all reading, goes to the inner protocol.
/// </summary>
internal sealed class TokenJsonProtocol(IHubProtocol json) : IHubProtocol
{
    private const byte RecordSeparator = 0x1e;
    private const int InvocationMessageType = 1;

    private static readonly JsonEncodedText Type = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText Target = JsonEncodedText.Encode("target");
    private static readonly JsonEncodedText Arguments = JsonEncodedText.Encode("arguments");

    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer)? t_scratch;

    public string Name => json.Name;

    public int Version => json.Version;

    public TransferFormat TransferFormat => json.TransferFormat;

    public bool IsVersionSupported(int version) => json.IsVersionSupported(version);

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message) =>
        json.TryParseMessage(ref input, binder, out message);

    public void WriteMessage(HubMessage message, IBufferWriter<byte> output)
    {
        if (!IsTokenEvent(message, out var messages, out var single))
        {
            json.WriteMessage(message, output);
            return;
        }

        using var writer = new Utf8JsonWriter(output, TokenMessageJson.WriterOptions);
        Write(writer, messages, single);
        WriteRecordSeparator(output);
    }

    /// <summary>What a group or connection send serializes once and writes to every connection of this protocol.</summary>
    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message)
    {
        if (!IsTokenEvent(message, out var messages, out var single))
        {
            return json.GetMessageBytes(message);
        }

        var (buffer, writer) = t_scratch ??= (new ArrayBufferWriter<byte>(4096), new Utf8JsonWriter(Stream.Null, TokenMessageJson.WriterOptions));
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        Write(writer, messages, single);
        WriteRecordSeparator(buffer);
        var bytes = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > 64 * 1024)
        {
            t_scratch = null; // one huge catch-up page must not stay pinned to this thread
        }

        return bytes;
    }

    /// <summary>
    /// A server-to-client token event as the fan-out sends it: no invocation id, headers or stream ids, and the
    /// argument a <see cref="TokenMessage"/> (one token, <paramref name="messages"/> null) or an array of them (a batch).
    /// </summary>
    private static bool IsTokenEvent(HubMessage message, out TokenMessage[]? messages, out TokenMessage single)
    {
        messages = null;
        single = default;
        if (message is not InvocationMessage { InvocationId: null, Arguments.Length: 1 } invocation
            || invocation.Headers is { Count: > 0 } || invocation.StreamIds is { Length: > 0 })
        {
            return false;
        }

        switch (invocation.Target, invocation.Arguments[0])
        {
            case (HubContract.TokenEvent, TokenMessage one):
                single = one;
                break;
            case (HubContract.TokensEvent, TokenMessage[] many):
                messages = many;
                break;
            default:
                return false;
        }

        return true;
    }

    /// <summary><c>{"type":1,"target":…,"arguments":[message]}</c> or <c>…"arguments":[[messages…]]}</c>, as the JSON protocol orders them.</summary>
    private static void Write(Utf8JsonWriter writer, TokenMessage[]? messages, in TokenMessage single)
    {
        writer.WriteStartObject();
        writer.WriteNumber(Type, InvocationMessageType);
        writer.WriteString(Target, messages is null ? HubContract.TokenEvent : HubContract.TokensEvent);
        writer.WriteStartArray(Arguments);
        if (messages is null)
        {
            TokenMessageJson.Write(writer, single);
        }
        else
        {
            writer.WriteStartArray();
            foreach (ref readonly var m in messages.AsSpan())
            {
                TokenMessageJson.Write(writer, m);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
    }

    private static void WriteRecordSeparator(IBufferWriter<byte> output)
    {
        output.GetSpan(1)[0] = RecordSeparator;
        output.Advance(1);
    }
}
