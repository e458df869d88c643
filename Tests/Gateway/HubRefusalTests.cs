using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using MessagePack;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

/// <summary>Every refused hub call answers with a code, whatever the caller sends; nothing is ever a bare "Failed to invoke".</summary>
[Collection(GatewayCollection.Name)]
public sealed class HubRefusalTests(GatewayFixture gateway)
{
    public static TheoryData<string, object?[]> UnbindableCalls => new()
    {
        { HubContract.GetTokens, ["s-1", "five"] },                 // a string where a number goes
        { HubContract.GetTokens, ["s-1", "5"] },                    // a number sent as a string
        { HubContract.GetTokens, ["s-1", 1.5] },                    // not a whole number
        { HubContract.GetTokens, ["s-1"] },                         // too few
        { HubContract.JoinThread, ["t-1", "t-2"] },                 // too many
        { HubContract.JoinThread, [42] },                           // a number where a string goes
        { HubContract.JoinThread, [new[] { "t-1" }] },              // an array where a string goes
        { HubContract.GetTokens, ["s-1", 18446744073709551615m] },  // past a 64-bit integer
        { HubContract.CancelStream, ["s-1"] },                      // too few (the reason may be null, not missing)
        { HubContract.CancelStream, ["s-1", 7] },                   // a number where the reason goes
        { HubContract.GetPresence, [] },                            // too few
        { HubContract.GetPresence, [new { threadId = "t-1" }] },   // an object where a string goes
        { "DropAllThreads", [] },                                   // no such method
    };

    [Theory]
    [MemberData(nameof(UnbindableCalls))]
    public async Task A_call_with_wrong_argument_types_or_counts_is_invalid_request(string method, object?[] arguments)
    {
        await using var viewer = await Viewer.Connect(gateway, "alice-" + Guid.NewGuid().ToString("N"));

        var error = await Assert.ThrowsAsync<HubException>(() => viewer.Connection.InvokeCoreAsync<object>(method, arguments));

        Assert.StartsWith("invalid_request: ", Viewer.ServerMessage(error));
        // The connection is still usable: a refusal is an answer, not a fault.
        Assert.StartsWith("forbidden", Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(() => viewer.Join("t-none-" + Guid.NewGuid().ToString("N")))));
    }

    [Fact]
    public async Task The_refusal_of_a_wrong_call_says_what_the_method_takes()
    {
        await using var viewer = await Viewer.Connect(gateway, "alice");

        var wrongType = Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(
            () => viewer.Connection.InvokeCoreAsync<object>(HubContract.GetTokens, ["s-1", "five"])));
        var unknown = Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(
            () => viewer.Connection.InvokeCoreAsync<object>("DropAllThreads", [])));

        Assert.Equal("invalid_request: GetTokens takes (string, integer); the call had other arguments.", wrongType);
        Assert.Equal("invalid_request: there is no hub method 'DropAllThreads'.", unknown);
    }

    [Fact]
    public async Task A_method_called_as_a_stream_is_invalid_request()
    {
        await using var viewer = await Viewer.Connect(gateway, "alice-" + Guid.NewGuid().ToString("N"));

        var error = await Assert.ThrowsAsync<HubException>(async () =>
        {
            var items = await viewer.Connection.StreamAsChannelCoreAsync(HubContract.JoinThread, typeof(object), ["t-1"]);
            await items.ReadAllAsync().ToListAsync();
        });

        Assert.Equal("invalid_request: JoinThread is not a streaming method; send it as an invocation (type 1).", Viewer.ServerMessage(error));
        Assert.StartsWith("forbidden", Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(() => viewer.Join("t-none-" + Guid.NewGuid().ToString("N")))));
    }

    [Fact]
    public async Task A_call_that_uploads_a_stream_is_invalid_request()
    {
        await using var viewer = await Viewer.Connect(gateway, "alice-" + Guid.NewGuid().ToString("N"));
        var upload = System.Threading.Channels.Channel.CreateUnbounded<string>();
        upload.Writer.TryWrite("t-2");
        upload.Writer.Complete();

        var error = await Assert.ThrowsAsync<HubException>(() => viewer.Connection.InvokeCoreAsync<object>(HubContract.JoinThread, ["t-1", upload.Reader]));

        Assert.Equal("invalid_request: JoinThread takes no client streams; send the call without streamIds.", Viewer.ServerMessage(error));
        Assert.StartsWith("forbidden", Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(() => viewer.Join("t-none-" + Guid.NewGuid().ToString("N")))));
    }

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(Sequences.Max + 1)]
    [InlineData(-1L)]
    [InlineData(long.MinValue)]
    public async Task An_out_of_range_sequence_is_refused_not_wrapped_around(long afterSequence)
    {
        var threadId = await gateway.NewThread("alice");
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "secret");
        await using var alice = await Viewer.Connect(gateway, "alice");
        await alice.Join(threadId);

        var error = await Assert.ThrowsAsync<HubException>(() => alice.GetTokens(streamId, afterSequence));

        Assert.StartsWith("invalid_request: afterSequence must be 0–9007199254740991", Viewer.ServerMessage(error));
        var last = await alice.GetTokens(streamId, Sequences.Max);
        Assert.Empty(last.Tokens);
    }

    [Fact]
    public async Task An_unknown_stream_and_a_foreign_one_get_the_same_answer()
    {
        var alicesThread = await gateway.NewThread("alice");
        var foreign = await gateway.Producer.StartStreamAsync(alicesThread, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(foreign, "secret");
        var unknown = "s-" + Guid.NewGuid().ToString("N");
        await using var mallory = await Viewer.Connect(gateway, "mallory");

        var toForeign = Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(() => mallory.GetTokens(foreign, 0)));
        var toUnknown = Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(() => mallory.GetTokens(unknown, 0)));

        Assert.StartsWith("stream_not_found: ", toForeign);
        Assert.Equal(toForeign.Replace(foreign, "{id}"), toUnknown.Replace(unknown, "{id}"));
    }

    [Fact]
    public async Task Stopping_an_unknown_stream_and_a_foreign_one_get_the_same_answer_and_stop_nothing()
    {
        var alicesThread = await gateway.NewThread("alice");
        var foreign = await gateway.Producer.StartStreamAsync(alicesThread, "run-" + Guid.NewGuid().ToString("N"));
        var unknown = "s-" + Guid.NewGuid().ToString("N");
        await using var mallory = await Viewer.Connect(gateway, "mallory");

        var toForeign = Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(() => mallory.Connection.InvokeAsync<CancelStreamResult>(HubContract.CancelStream, foreign, null)));
        var toUnknown = Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(() => mallory.Connection.InvokeAsync<CancelStreamResult>(HubContract.CancelStream, unknown, null)));

        Assert.StartsWith("stream_not_found: ", toForeign);
        Assert.Equal(toForeign.Replace(foreign, "{id}"), toUnknown.Replace(unknown, "{id}"));
        Assert.False((await gateway.Grains.GetGrain<IStreamGrain>(foreign).GetInfo()).Done);
    }

    [Theory]
    [InlineData(HubContract.JoinThread)]
    [InlineData(HubContract.GetPresence)]
    public async Task An_unknown_thread_and_a_foreign_one_get_the_same_answer(string method)
    {
        var foreign = await gateway.NewThread("alice");
        var unknown = "t-" + Guid.NewGuid().ToString("N");
        await using var mallory = await Viewer.Connect(gateway, "mallory");

        var toForeign = Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(() => mallory.Connection.InvokeAsync<object>(method, foreign)));
        var toUnknown = Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(() => mallory.Connection.InvokeAsync<object>(method, unknown)));

        Assert.StartsWith("forbidden: ", toForeign);
        Assert.Equal(toForeign.Replace(foreign, "{id}"), toUnknown.Replace(unknown, "{id}"));
    }

    [Fact]
    public async Task A_message_of_an_unknown_type_is_skipped_without_stalling_the_calls_after_it()
    {
        // Sent in one WebSocket frame, as a client batching its writes would: SignalR skips the unknown message type
        // (forward compatibility) but then waited for more bytes before reading the call behind it.
        using var socket = await RawHubFrames.Connect(gateway, "alice");

        await RawHubFrames.Send(socket,
            "{\"type\":42,\"future\":true}",
            "{\"type\":1,\"invocationId\":\"7\",\"target\":\"JoinThread\",\"arguments\":[\"bad id\"]}");

        var received = new StringBuilder();
        var buffer = new byte[8192];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!received.ToString().Contains("\"invocationId\":\"7\"", StringComparison.Ordinal))
        {
            var frame = await socket.ReceiveAsync(buffer, deadline.Token);
            received.Append(Encoding.UTF8.GetString(buffer, 0, frame.Count));
        }

        Assert.Contains("HubException: invalid_request: threadId must be", received.ToString());
    }
    /// <summary>The MessagePack protocol decodes a string that is not UTF-8 into U+FFFD; the JSON one refuses it.</summary>
    [Fact]
    public async Task A_messagepack_call_with_a_string_that_is_not_utf8_is_refused_and_changes_nothing()
    {
        var threadId = await gateway.NewThread("alice");
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        using var socket = await RawHubFrames.Connect(gateway, "alice", "messagepack");
        var buffer = new byte[8192];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ReceiveAsync(buffer, deadline.Token);   // the handshake's answer, {}

        // [1 (invocation), headers, invocation id, target, arguments, stream ids], after its varint length.
        var call = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(call);
        writer.WriteArrayHeader(6);
        writer.Write(1);
        writer.WriteMapHeader(0);
        writer.Write("7");
        writer.Write(HubContract.CancelStream);
        writer.WriteArrayHeader(2);
        writer.Write(streamId);
        writer.WriteString([(byte)'c', (byte)'a', (byte)'f', 0xFF, 0xED, 0xA0, 0x80]);
        writer.WriteArrayHeader(0);
        writer.Flush();
        await socket.SendAsync((byte[])[(byte)call.WrittenCount, .. call.WrittenSpan], WebSocketMessageType.Binary, true, deadline.Token);

        var frame = await socket.ReceiveAsync(buffer, deadline.Token);
        var body = 1;
        while ((buffer[body - 1] & 0x80) != 0)
        {
            body++;   // the varint length goes on
        }

        var reader = new MessagePackReader(buffer.AsMemory(body, frame.Count - body));
        Assert.Equal(5, reader.ReadArrayHeader());
        Assert.Equal(3, reader.ReadInt32());   // a completion
        reader.Skip();
        Assert.Equal("7", reader.ReadString());
        Assert.Equal(1, reader.ReadInt32());   // with an error
        Assert.Contains("HubException: invalid_request: ", reader.ReadString());
        Assert.False((await gateway.Grains.GetGrain<IStreamGrain>(streamId).GetInfo()).Done);
    }
}
