namespace ReHome.Gateway;

/// <summary>Fan-out and browser-facing settings, from the <c>Gateway</c> section.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>
    /// With Redis configured: this gateway is also a silo of the cluster (the co-hosted topology), read once at start.
    /// Grains are placed on it as on any silo, so a token of a stream active here reaches this gateway's viewers
    /// without crossing a process boundary, and a node costs one process instead of two. Killing it is then a silo
    /// kill too. Off: the gateway is an Orleans client of separate silos. Without Redis the gateway always hosts its
    /// silo (the embedded mode).
    /// </summary>
    public bool HostSilo { get; set; }

    /// <summary>
    /// How often the gateway asks each thread-feed relay it subscribed at whether it still holds its subscriptions
    /// (it asks at once when the cluster connection changes). A relay that moved to another silo, or dropped this
    /// gateway after failed deliveries, gets them again, and the threads there catch up
    /// (<see cref="ReHome.Feed.ThreadFeedConsumer"/>).
    /// </summary>
    public TimeSpan SubscriptionCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// An open stream silent this long is asked for its state, in case its events were lost in transit (a killed
    /// silo takes the events on their way through its relays with it). Detection takes one to two periods; at 5 s it was the
    /// longest part of a dead silo's stall. Costs one cheap read per silent open stream per period.
    /// </summary>
    public TimeSpan SilentStreamProbe { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// For this long after a silo disappears, an open stream silent for <see cref="FailoverSilentStreamProbe"/> is
    /// asked for its state. The threads whose relay was on the dead silo get no events until the silo is declared
    /// dead and the gateway has registered at the relay's new activation; the window covers that.
    /// </summary>
    public TimeSpan FailoverProbeWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The silence that gets an open stream probed during <see cref="FailoverProbeWindow"/>; checked twice as often.
    /// A flowing stream is never silent this long, so only stalled or pausing streams are asked, once per period.
    /// </summary>
    public TimeSpan FailoverSilentStreamProbe { get; set; } = TimeSpan.FromMilliseconds(400);

    /// <summary>
    /// Origins (<c>https://app.example.com</c>) whose pages may use the hub and load the browser client from this
    /// gateway. Credentials are allowed for exactly these origins, so <c>*</c> is refused. Empty: same origin only.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>
    /// Messages (a token, a done event, or a batch of them) that may wait for one connection's socket. When a
    /// connection's queue is full, its queued messages are dropped and it is sent <c>agent.thread.behind</c> for
    /// each stream they carried; it catches up with <c>GetTokens</c>. No other connection ever waits for it.
    /// </summary>
    public int ConnectionQueueLimit { get; set; } = 256;

    /// <summary>
    /// A connection still behind this long after its queue was cut (it has not drained it since), or whose socket has
    /// taken no data for this long, is disconnected; its client reconnects and resumes. Shorter than SignalR's own
    /// <c>TransportSendTimeout</c> (10 s), so that the gateway's reason is the one logged and counted.
    /// </summary>
    public TimeSpan BehindTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
