using System.IO.Enumeration;
using System.Text.RegularExpressions;

namespace ReHome.Gateway.Pusher;

/// <summary>
/// The Pusher-protocol endpoint's app and limits, from the <c>Pusher</c> section. With no key and secret set the
/// endpoint serves no app: every connection is refused with 4001.
/// </summary>
public sealed partial class PusherOptions
{
    public const string Section = "Pusher";

    /// <summary>The app key clients connect with (<c>/app/{key}</c>); Laravel's <c>PUSHER_APP_KEY</c> / <c>REVERB_APP_KEY</c>.</summary>
    public string? AppKey { get; set; }

    /// <summary>The app secret Laravel signs channel authorizations with; at least 16 characters.</summary>
    public string? AppSecret { get; set; }

    /// <summary>
    /// Sent to clients in <c>pusher:connection_established</c>: a client pings after this long without a message.
    /// The gateway pings a client it has not heard from for this long. Whole seconds.
    /// </summary>
    public TimeSpan ActivityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A client that sends nothing for this long after the gateway's ping is closed with 4201.</summary>
    public TimeSpan PongTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Channels one connection may hold at once.</summary>
    public int MaxChannelsPerConnection { get; set; } = 100;

    /// <summary>Largest message a client may send, in bytes; a larger one closes the connection with 1009.</summary>
    public int MaxMessageBytes { get; set; } = 10 * 1024;

    /// <summary>Messages a client may send per second, on average; above it they are refused (4301).</summary>
    public double MessagesPerSecond { get; set; } = 20;

    /// <summary>Messages a client may send at once (a reconnect re-subscribes every channel in one go).</summary>
    public int MessageBurst { get; set; } = 200;

    /// <summary>
    /// Protocol frames (pongs, errors, subscription answers) queued for one connection; past it the client is closed
    /// with 4100. Its channels' messages queue in the fan-out, as a hub connection's do (<c>Gateway:ConnectionQueueLimit</c>).
    /// </summary>
    public int OutboundQueueLimit { get; set; } = 10_000;

    /// <summary>
    /// How long after its connection opened a socket id still authorizes the HTTP token page on a gateway that does
    /// not hold the socket. On the gateway that holds it, it works for as long as the socket is subscribed.
    /// </summary>
    public TimeSpan TokenPageSocketLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Token page requests one client address may make per second, on average; above it they get 429.</summary>
    public int TokenPageRequestsPerSecond { get; set; } = 50;

    /// <summary>Token page requests one address may make at once after being quiet: its Echo clients catching up after a reconnect.</summary>
    public int TokenPageBurst { get; set; } = 500;

    /// <summary>Pusher connections this gateway holds at once; past it a new one is closed with 4100 (pusher-js backs off and retries).</summary>
    public int MaxConnections { get; set; } = 20_000;

    /// <summary>
    /// Pusher connections one client address may hold on this gateway; past it a new one is closed with 4100. Behind a
    /// proxy the address is the proxy's unless the gateway trusts its <c>X-Forwarded-For</c>
    /// (<c>ASPNETCORE_FORWARDEDHEADERS_ENABLED=true</c>).
    /// </summary>
    public int MaxConnectionsPerAddress { get; set; } = 100;

    /// <summary>
    /// The hosts whose pages may connect, as Reverb's <c>allowed_origins</c>: <c>app.example.com</c>,
    /// <c>*.example.com</c>, or <c>*</c> for any. Matched, ignoring case, against the host of the connection's
    /// <c>Origin</c> header; a connection without one (not a browser) passes only <c>*</c>. Unset, any origin may
    /// connect, as with Reverb's default: channel signatures still decide what a connection receives.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];

    public bool HasApp => !string.IsNullOrEmpty(AppKey);

    /// <summary>Whether a connection with this <c>Origin</c> header (null when it sent none) may connect.</summary>
    public bool AllowsOrigin(string? origin)
    {
        if (AllowedOrigins.Length == 0 || AllowedOrigins.Contains("*"))
        {
            return true;
        }

        return Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Host.Length > 0
            && AllowedOrigins.Any(host => FileSystemName.MatchesSimpleExpression(host, uri.Host, ignoreCase: true));
    }

    /// <summary>The problems with these settings, each naming its key; empty when they are usable.</summary>
    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrEmpty(AppKey) != string.IsNullOrEmpty(AppSecret))
        {
            yield return "Pusher:AppKey and Pusher:AppSecret must be set together.";
        }

        if (!string.IsNullOrEmpty(AppKey) && !KeyPattern().IsMatch(AppKey))
        {
            yield return "Pusher:AppKey must be 1–128 characters of A–Z, a–z, 0–9, '.', '_' or '-'.";
        }

        if (AppSecret is { Length: > 0 and < 16 })
        {
            yield return "Pusher:AppSecret must be at least 16 characters.";
        }

        if (ActivityTimeout < TimeSpan.FromSeconds(1) || ActivityTimeout.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            yield return "Pusher:ActivityTimeout must be a whole number of seconds, at least 1.";
        }

        if (PongTimeout <= TimeSpan.Zero)
        {
            yield return "Pusher:PongTimeout must be positive.";
        }

        if (MaxChannelsPerConnection < 1 || MaxMessageBytes < 256 || !double.IsFinite(MessagesPerSecond) || MessagesPerSecond <= 0 || MessageBurst < 1 || OutboundQueueLimit < 1)
        {
            yield return "Pusher:MaxChannelsPerConnection, MessagesPerSecond, MessageBurst and OutboundQueueLimit must be positive, MaxMessageBytes at least 256.";
        }

        if (TokenPageSocketLifetime <= TimeSpan.Zero)
        {
            yield return "Pusher:TokenPageSocketLifetime must be positive.";
        }

        if (TokenPageRequestsPerSecond < 1 || TokenPageBurst < 1)
        {
            yield return "Pusher:TokenPageRequestsPerSecond and Pusher:TokenPageBurst must be positive.";
        }

        if (MaxConnections < 1 || MaxConnectionsPerAddress < 1)
        {
            yield return "Pusher:MaxConnections and Pusher:MaxConnectionsPerAddress must be positive.";
        }

        foreach (var host in AllowedOrigins.Where(h => !HostPattern().IsMatch(h)))
        {
            yield return $"Pusher:AllowedOrigins entry '{host}' is not a host: give 'app.example.com', '*.example.com' or '*', without scheme, port or path.";
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,128}$")]
    private static partial Regex KeyPattern();

    /// <summary>A host name or address, where <c>*</c> stands for any run of characters.</summary>
    [GeneratedRegex("^[A-Za-z0-9.*-]{1,253}$")]
    private static partial Regex HostPattern();
}
