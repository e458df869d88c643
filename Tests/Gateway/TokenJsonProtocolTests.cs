using System.Buffers;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

/// <summary>
/// The gateway writes token events to JSON clients by hand (<c>TokenJsonProtocol</c>). Whatever it writes must be,
/// byte for byte, what SignalR's own JSON protocol writes under the gateway's options, for any text a token can hold.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class TokenJsonProtocolTests(GatewayFixture gateway)
{
    private static readonly string[] Texts =
    [
        "Hello", " wörld", "日本語", "🌍 emoji outside the BMP", "\"quoted\" and \\ backslash", "<script>&amp;</script>",
        "tab\tnewline\nreturn\r", "\u0000\u0001\u001f control", "\u2028\u2029 separators", "'single' `back`", "",
        new string('x', 20_000) + "é",
    ];

    public static TheoryData<string> Cases() => new(Texts.Select((_, i) => i.ToString()));

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_token_event_is_written_as_signalr_writes_it(string index)
    {
        var text = Texts[int.Parse(index)];
        var token = new TokenMessage("thread-1", "run-1", "stream-1", long.MaxValue, text, false, null, null, null);
        var done = new TokenMessage("thread-1", "run-1", "stream-1", 7, null, true, text, "cancelled", text);

        AssertSameBytes(new InvocationMessage(HubContract.TokenEvent, [token]));
        AssertSameBytes(new InvocationMessage(HubContract.TokenEvent, [done]));
        AssertSameBytes(new InvocationMessage(HubContract.TokensEvent, [new[] { token, token with { Sequence = 2, Token = "é" }, done }]));
    }

    [Fact]
    public void An_empty_batch_is_written_as_signalr_writes_it() =>
        AssertSameBytes(new InvocationMessage(HubContract.TokensEvent, [Array.Empty<TokenMessage>()]));

    [Fact]
    public void Other_messages_are_left_to_signalr()
    {
        var token = new TokenMessage("thread-1", "run-1", "stream-1", 1, "a", false, null, null, null);

        AssertSameBytes(new InvocationMessage("call-1", HubContract.TokenEvent, [token]));
        AssertSameBytes(new InvocationMessage(HubContract.TokenEvent, [token]) { Headers = new Dictionary<string, string> { ["k"] = "v" } });
        AssertSameBytes(new InvocationMessage(HubContract.BehindEvent, [new BehindMessage("thread-1", "stream-1", 3)]));
        AssertSameBytes(new InvocationMessage(HubContract.TokenEvent, [token, token]));
        AssertSameBytes(CompletionMessage.WithResult("call-2", new[] { token }));
        AssertSameBytes(PingMessage.Instance);
    }

    private void AssertSameBytes(HubMessage message)
    {
        var reference = new JsonHubProtocol(gateway.Services.GetRequiredService<IOptions<JsonHubProtocolOptions>>());
        var served = gateway.Services.GetServices<IHubProtocol>().Single(p => p.Name == reference.Name);

        Assert.Equal(Utf8(reference.GetMessageBytes(message)), Utf8(served.GetMessageBytes(message)));

        var expected = new ArrayBufferWriter<byte>();
        var written = new ArrayBufferWriter<byte>();
        reference.WriteMessage(message, expected);
        served.WriteMessage(message, written);
        Assert.Equal(Utf8(expected.WrittenMemory), Utf8(written.WrittenMemory));
    }

    // Compared as text, so that a failure shows where the two differ.
    private static string Utf8(ReadOnlyMemory<byte> bytes) => System.Text.Encoding.UTF8.GetString(bytes.Span);
}
