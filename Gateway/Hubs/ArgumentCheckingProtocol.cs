using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace ReHome.Gateway.Hubs;

/// <summary>
/// Wraps a hub protocol (JSON, MessagePack). SignalR answers a call whose arguments it cannot bind before any hub
/// filter runs, with only "Failed to invoke …"; this turns such a call into one that carries an
/// <see cref="InvalidInvocation"/>, which <see cref="InvalidInvocationFilter"/> refuses with <c>invalid_request</c>
/// and a reason. The call then also counts against the connection's call quota. It also keeps reading past a message
/// of an unknown type (which the protocols skip for forward compatibility) rather than stalling on it.
/// </summary>
internal sealed class ArgumentCheckingProtocol(IHubProtocol inner) : IHubProtocol
{
    public string Name => inner.Name;

    public int Version => inner.Version;

    public TransferFormat TransferFormat => inner.TransferFormat;

    public bool IsVersionSupported(int version) => inner.IsVersionSupported(version);

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
    {
        while (true)
        {
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

    private static string JsonTypeName(Type type) =>
        (Nullable.GetUnderlyingType(type) ?? type) switch
        {
            var t when t == typeof(string) => "string",
            var t when t == typeof(long) || t == typeof(int) => "integer",
            var t when t == typeof(bool) => "boolean",
            var t => t.Name,
        };
}
