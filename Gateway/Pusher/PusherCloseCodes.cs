using System.Text;

namespace ReHome.Gateway.Pusher;

/// <summary>
/// The protocol's close codes that the endpoint uses. pusher-js acts on the range: 4000–4099 it does not reconnect,
/// 4100–4199 it reconnects after backing off, 4200–4299 it reconnects at once.
/// </summary>
internal static class PusherCloseCodes
{
    /// <summary>No app has this key (or no app is configured).</summary>
    public const int AppDoesNotExist = 4001;

    /// <summary>The request path is not <c>/app/{key}</c> with a key.</summary>
    public const int PathNotFound = 4005;

    /// <summary>The client asked for a protocol version other than 7.</summary>
    public const int UnsupportedProtocol = 4007;

    /// <summary>The client sent no <c>protocol</c> query parameter.</summary>
    public const int NoProtocolVersion = 4008;

    /// <summary>The connection's <c>Origin</c> is not in <see cref="PusherOptions.AllowedOrigins"/>.</summary>
    public const int OriginNotAllowed = 4009;

    /// <summary>
    /// The client stayed behind (<c>Gateway:BehindTimeout</c>), its protocol frames passed
    /// <see cref="PusherOptions.OutboundQueueLimit"/>, or the gateway or the client's address holds its connection quota
    /// (<see cref="PusherOptions.MaxConnections"/>, <see cref="PusherOptions.MaxConnectionsPerAddress"/>): back off,
    /// then reconnect.
    /// </summary>
    public const int OverCapacity = 4100;

    /// <summary>The gateway is stopping: reconnect at once (to another gateway).</summary>
    public const int ReconnectImmediately = 4200;

    /// <summary>The client answered no ping within <see cref="PusherOptions.PongTimeout"/>.</summary>
    public const int PongNotReceived = 4201;

    /// <summary>
    /// In <c>pusher:error</c> only: a message the endpoint cannot act on (not a JSON object with an <c>event</c>,
    /// binary, a client event, an unsupported event, a subscribe without a channel); it changed nothing.
    /// </summary>
    public const int InvalidMessage = 4300;

    /// <summary>In <c>pusher:error</c> only: a message over <see cref="PusherOptions.MessagesPerSecond"/> was refused.</summary>
    public const int RateLimited = 4301;

    /// <summary>
    /// A close frame's reason is at most 123 UTF-8 bytes, and a longer one makes the close itself throw: the socket then
    /// gets no close frame and the client no code. <paramref name="shorter"/> stands in for a reason that names
    /// something as long as a channel or a caller's text.
    /// </summary>
    public static string Reason(string reason, string shorter) =>
        Encoding.UTF8.GetByteCount(reason) <= MaxReasonBytes ? reason : shorter;

    private const int MaxReasonBytes = 123;
}
