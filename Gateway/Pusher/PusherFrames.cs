using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using ReHome.Gateway.Fanout;

namespace ReHome.Gateway.Pusher;

/// <summary>
/// Builds the text frames the endpoint sends: <c>{"event", "channel"?, "data"}</c>. Application events carry
/// <c>data</c> as a JSON-encoded string, as Pusher and Reverb send it; pusher-js parses it before Echo sees it.
/// </summary>
internal static class PusherFrames
{
    private static readonly JsonWriterOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// One <c>agent.thread.token</c> frame per message, for <paramref name="channel"/>. The data has the hub's
    /// fields and the seed's (<c>token</c>, <c>sequence</c>, <c>done</c>, <c>full_response</c>).
    /// </summary>
    public static ReadOnlyMemory<byte>[] Tokens(string channel, ReadOnlySpan<TokenMessage> messages)
    {
        var frames = new ReadOnlyMemory<byte>[messages.Length];
        var data = new ArrayBufferWriter<byte>(256);
        for (var i = 0; i < messages.Length; i++)
        {
            data.ResetWrittenCount();
            WriteTokenData(data, messages[i]);
            frames[i] = Frame(PusherEvents.Token, channel, data.WrittenSpan);
        }

        return frames;
    }

    /// <summary><c>agent.thread.behind</c> on the channel: <c>{threadId, streamId, lastSequence}</c>, as the hub sends it.</summary>
    public static ReadOnlyMemory<byte> Behind(string channel, BehindMessage behind) => Event(PusherEvents.Behind, channel, json =>
    {
        json.WriteString("threadId", behind.ThreadId);
        json.WriteString("streamId", behind.StreamId);
        json.WriteNumber("lastSequence", behind.LastSequence);
    });

    public static ReadOnlyMemory<byte> ConnectionEstablished(string socketId, TimeSpan activityTimeout)
    {
        var data = new ArrayBufferWriter<byte>(96);
        using (var json = new Utf8JsonWriter(data, Relaxed))
        {
            json.WriteStartObject();
            json.WriteString("socket_id", socketId);
            json.WriteNumber("activity_timeout", (long)activityTimeout.TotalSeconds);
            json.WriteEndObject();
        }

        return Frame(PusherEvents.ConnectionEstablished, null, data.WrittenSpan);
    }

    public static ReadOnlyMemory<byte> SubscriptionSucceeded(string channel) => Frame(PusherEvents.SubscriptionSucceeded, channel, "{}"u8);

    /// <summary><c>pusher:pong</c> or <c>pusher:ping</c>, with the empty object as data.</summary>
    public static ReadOnlyMemory<byte> Heartbeat(string eventName) => Object(eventName, null, _ => { });

    /// <summary><c>pusher:error</c>: <c>{message, code}</c>, with a null code for an error that closes nothing.</summary>
    public static ReadOnlyMemory<byte> Error(int? code, string message) => Object(PusherEvents.Error, null, json =>
    {
        json.WriteString("message", message);
        if (code is { } c)
        {
            json.WriteNumber("code", c);
        }
        else
        {
            json.WriteNull("code");
        }
    });

    /// <summary><c>pusher:subscription_error</c> on the channel: <c>{type, error, status}</c>, as Echo's <c>.error()</c> receives it.</summary>
    public static ReadOnlyMemory<byte> SubscriptionError(string channel, string type, string error, int status) =>
        Object(PusherEvents.SubscriptionError, channel, json =>
        {
            json.WriteString("type", type);
            json.WriteString("error", error);
            json.WriteNumber("status", status);
        });

    private static void WriteTokenData(IBufferWriter<byte> buffer, in TokenMessage m)
    {
        using var json = new Utf8JsonWriter(buffer, Relaxed);
        TokenMessageJson.Write(json, m, withSeedName: true);
    }

    /// <summary>An application event: a frame whose data is the JSON-encoded string of the object <paramref name="writeData"/> fills.</summary>
    private static ReadOnlyMemory<byte> Event(string eventName, string channel, Action<Utf8JsonWriter> writeData)
    {
        var data = new ArrayBufferWriter<byte>(160);
        using (var json = new Utf8JsonWriter(data, Relaxed))
        {
            json.WriteStartObject();
            writeData(json);
            json.WriteEndObject();
        }

        return Frame(eventName, channel, data.WrittenSpan);
    }

    /// <summary>A frame whose data is a JSON-encoded string of <paramref name="data"/>.</summary>
    private static ReadOnlyMemory<byte> Frame(string eventName, string? channel, ReadOnlySpan<byte> data)
    {
        var frame = new ArrayBufferWriter<byte>(data.Length + 96);
        using (var json = new Utf8JsonWriter(frame, Relaxed))
        {
            json.WriteStartObject();
            json.WriteString("event", eventName);
            if (channel is not null)
            {
                json.WriteString("channel", channel);
            }

            json.WriteString("data", data);
            json.WriteEndObject();
        }

        return frame.WrittenMemory;
    }

    /// <summary>A frame whose data is a JSON object, as Pusher sends its protocol errors and heartbeats.</summary>
    private static ReadOnlyMemory<byte> Object(string eventName, string? channel, Action<Utf8JsonWriter> writeData)
    {
        var frame = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(frame, Relaxed))
        {
            json.WriteStartObject();
            json.WriteString("event", eventName);
            if (channel is not null)
            {
                json.WriteString("channel", channel);
            }

            json.WritePropertyName("data");
            json.WriteStartObject();
            writeData(json);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return frame.WrittenMemory;
    }
}
