using System.Text.Json;

namespace ReHome.Gateway.Pusher;

/// <summary>
/// What the endpoint reads from a client's message: the event name, and for (un)subscribe the channel and auth.
/// <c>data</c> may be an object or, as some clients send it, a JSON-encoded string of one.
/// </summary>
internal readonly record struct PusherMessage(string Event, string? Channel, string? Auth)
{
    public static bool TryParse(ReadOnlyMemory<byte> text, out PusherMessage message)
    {
        message = default;
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("event", out var name) || name.ValueKind != JsonValueKind.String
                || name.GetString() is not { Length: > 0 } eventName)
            {
                return false;
            }

            var channel = String(root, "channel");
            string? auth = null;
            if (root.TryGetProperty("data", out var data))
            {
                using var inner = data.ValueKind == JsonValueKind.String && data.GetString() is { Length: > 0 } encoded && encoded.TrimStart().StartsWith('{')
                    ? JsonDocument.Parse(encoded)
                    : null;
                var fields = inner?.RootElement ?? data;
                if (fields.ValueKind == JsonValueKind.Object)
                {
                    channel = String(fields, "channel") ?? channel;
                    auth = String(fields, "auth");
                }
            }

            message = new PusherMessage(eventName, channel, auth);
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // JsonDocument accepts an escaped lone surrogate ("\ud800"); GetString then throws InvalidOperationException.
            return false;
        }
    }

    private static string? String(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
