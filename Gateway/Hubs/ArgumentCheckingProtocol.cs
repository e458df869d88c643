using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Unicode;
using MessagePack;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace ReHome.Gateway.Hubs;

/// <summary>
/// Wraps a hub protocol (JSON, MessagePack). SignalR answers a call whose arguments it cannot bind before any hub
/// filter runs, with only "Failed to invoke …"; this turns such a call into one that carries an
/// <see cref="InvalidInvocation"/>, which <see cref="InvalidInvocationFilter"/> refuses with <c>invalid_request</c>
/// and a reason. The call then also counts against the user's call quota. Calls sent as streams or with client streams
/// (which no method takes) are refused the same way, for the same reason. It also keeps reading past a message
/// of an unknown type (which the protocols skip for forward compatibility) rather than stalling on it, and refuses a
/// MessagePack call with a string that is not UTF-8, which the MessagePack protocol would decode into U+FFFD (the
/// JSON protocol refuses such text itself).
/// </summary>
internal sealed class ArgumentCheckingProtocol(IHubProtocol inner) : IHubProtocol
{
    public string Name => inner.Name;

    public int Version => inner.Version;

    public TransferFormat TransferFormat => inner.TransferFormat;

    public bool IsVersionSupported(int version) => inner.IsVersionSupported(version);

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
    {
        ReadOnlySequence<byte> unread;
        while (true)
        {
            unread = input;
            var before = input.Length;
            if (inner.TryParseMessage(ref input, binder, out message))
            {
                break;
            }

            // False means "need more bytes" (nothing was read), or that a whole message of a type this version does not
            // know was read and skipped. SignalR would then wait for more bytes before parsing what follows it in the
            // same read, so a client's next call would hang: go on to the next message instead.
            if (input.Length == before || input.IsEmpty)
            {
                return false;
            }
        }

        if (message is InvocationBindingFailureMessage failure)
        {
            message = Refusable(failure, binder);
        }
        else if (message is InvocationMessage { StreamIds.Length: > 0 } uploading)
        {
            // No hub method takes a client stream. SignalR would refuse this before any filter, untyped and uncounted.
            message = new InvocationMessage(uploading.InvocationId, HubContract.LeaveThread,
                [new InvalidInvocation(uploading.Target, $"{uploading.Target} takes no client streams; send the call without streamIds.")]);
        }
        else if (message is InvocationMessage invocation && TransferFormat == TransferFormat.Binary
            && !StringsAreUtf8(unread.Slice(0, unread.Length - input.Length)))
        {
            message = new InvocationMessage(invocation.InvocationId, invocation.Target,
                [new InvalidInvocation(invocation.Target, "a string in the call is not valid UTF-8; send text as UTF-8.")]);
        }
        else if (message is StreamInvocationMessage streaming)
        {
            // The hub has no streaming methods. SignalR would refuse this before any filter, untyped and uncounted.
            message = new InvocationMessage(streaming.InvocationId, HubContract.LeaveThread,
                [new InvalidInvocation(streaming.Target, $"{streaming.Target} is not a streaming method; send it as an invocation (type 1).")]);
        }

        return true;
    }

    public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => inner.WriteMessage(message, output);

    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => inner.GetMessageBytes(message);

    private static InvocationMessage Refusable(InvocationBindingFailureMessage failure, IInvocationBinder binder)
    {
        IReadOnlyList<Type> expected;
        try
        {
            expected = binder.GetParameterTypes(failure.Target);
        }
        catch (HubException)
        {
            // An unknown method: it needs a known one to reach the filters; the reason names the one asked for.
            return new InvocationMessage(failure.InvocationId, HubContract.LeaveThread,
                [new InvalidInvocation(failure.Target, $"there is no hub method '{failure.Target}'.")]);
        }

        var signature = string.Join(", ", expected.Select(JsonTypeName));
        return new InvocationMessage(failure.InvocationId, failure.Target,
            [new InvalidInvocation(failure.Target, $"{failure.Target} takes ({signature}); the call had other arguments.")]);
    }

    /// <summary>Whether every string in one MessagePack message (after its length prefix) is valid UTF-8.</summary>
    private static bool StringsAreUtf8(ReadOnlySequence<byte> frame)
    {
        var prefix = new SequenceReader<byte>(frame);
        while (prefix.TryRead(out var b) && (b & 0x80) != 0)
        {
        }

        var reader = new MessagePackReader(frame.Slice(prefix.Position));
        return StringsAreUtf8(ref reader, depth: 0);
    }

    private static bool StringsAreUtf8(ref MessagePackReader reader, int depth)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.String:
                var text = reader.ReadStringSequence();
                return text is not { } bytes || (bytes.IsSingleSegment ? Utf8.IsValid(bytes.FirstSpan) : Utf8.IsValid(bytes.ToArray()));
            case MessagePackType.Array or MessagePackType.Map when depth < 32:
                var count = reader.NextMessagePackType == MessagePackType.Array ? reader.ReadArrayHeader() : reader.ReadMapHeader() * 2;
                for (var i = 0; i < count; i++)
                {
                    if (!StringsAreUtf8(ref reader, depth + 1))
                    {
                        return false;
                    }
                }

                return true;
            default:
                // Numbers, booleans, nil, binary; or nesting deeper than any argument binds (hub methods take strings
                // and numbers), which binding refuses anyway.
                reader.Skip();
                return true;
        }
    }

    private static string JsonTypeName(Type type) =>
        (Nullable.GetUnderlyingType(type) ?? type) switch
        {
            var t when t == typeof(string) => "string",
            var t when t == typeof(long) || t == typeof(int) => "integer",
            var t when t == typeof(bool) => "boolean",
            var t => t.Name,
        };
}
