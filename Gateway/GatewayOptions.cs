namespace ReHome.Gateway;

/// <summary>Fan-out and browser-facing settings, from the <c>Gateway</c> section.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>
    /// How often each thread subscription is checked against Orleans' own list. Orleans deletes a client's
    /// subscriptions when it judges the client gone; a missing one is taken again and the gap filled.
    /// </summary>
    public TimeSpan SubscriptionCheckInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// An open stream silent this long is asked for its state, in case its events were lost in transit (a killed
    /// silo takes the events in its stream queues with it). Detection takes one to two periods; at 5 s it was the
    /// longest part of a dead silo's stall. Costs one cheap read per silent open stream per period.
    /// </summary>
    public TimeSpan SilentStreamProbe { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Origins (<c>https://app.example.com</c>) whose pages may use the hub and load the browser client from this
    /// gateway. Credentials are allowed for exactly these origins, so <c>*</c> is refused. Empty: same origin only.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];
}
