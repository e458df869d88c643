using System.Text.Encodings.Web;
using System.Text.Json;

namespace ReHome.Gateway.Fanout;

/// <summary>
/// A <see cref="TokenMessage"/> as a JSON object, written field by field. Tokens are most of what a gateway sends, and
/// System.Text.Json's converters took about twice as long to write them (bench/README, <i>Token events written by hand</i>).
/// </summary>
internal static class TokenMessageJson
{
    /// <summary>
    /// What SignalR's JSON protocol and the Pusher frames escape: only what JSON requires, so text outside ASCII goes as
    /// UTF-8 rather than as <c>\u</c> escapes.
    /// </summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    private static readonly JsonEncodedText ThreadId = JsonEncodedText.Encode("threadId");
    private static readonly JsonEncodedText RunId = JsonEncodedText.Encode("runId");
    private static readonly JsonEncodedText StreamId = JsonEncodedText.Encode("streamId");
    private static readonly JsonEncodedText Sequence = JsonEncodedText.Encode("sequence");
    private static readonly JsonEncodedText Token = JsonEncodedText.Encode("token");
    private static readonly JsonEncodedText Done = JsonEncodedText.Encode("done");
    private static readonly JsonEncodedText FullResponse = JsonEncodedText.Encode("fullResponse");
    private static readonly JsonEncodedText SeedFullResponse = JsonEncodedText.Encode("full_response");
    private static readonly JsonEncodedText Reason = JsonEncodedText.Encode("reason");
    private static readonly JsonEncodedText Detail = JsonEncodedText.Encode("detail");

    /// <summary>
    /// The object with every field, nulls included, in the order System.Text.Json writes the record's properties;
    /// <paramref name="withSeedName"/> adds the seed's <c>full_response</c> after <c>fullResponse</c> (Pusher clients).
    /// </summary>
    public static void Write(Utf8JsonWriter json, in TokenMessage m, bool withSeedName = false)
    {
        json.WriteStartObject();
        json.WriteString(ThreadId, m.ThreadId);
        json.WriteString(RunId, m.RunId);
        json.WriteString(StreamId, m.StreamId);
        json.WriteNumber(Sequence, m.Sequence);
        json.WriteString(Token, m.Token);
        json.WriteBoolean(Done, m.Done);
        json.WriteString(FullResponse, m.FullResponse);
        if (withSeedName)
        {
            json.WriteString(SeedFullResponse, m.FullResponse);
        }

        json.WriteString(Reason, m.Reason);
        json.WriteString(Detail, m.Detail);
        json.WriteEndObject();
    }
}
