namespace ReHome.Gateway.Pusher;

/// <summary>Event names of Pusher protocol 7 that the endpoint speaks, and the application events it sends.</summary>
internal static class PusherEvents
{
    public const string ConnectionEstablished = "pusher:connection_established";
    public const string Error = "pusher:error";
    public const string Ping = "pusher:ping";
    public const string Pong = "pusher:pong";
    public const string Subscribe = "pusher:subscribe";
    public const string Unsubscribe = "pusher:unsubscribe";
    public const string SubscriptionSucceeded = "pusher_internal:subscription_succeeded";
    public const string SubscriptionError = "pusher:subscription_error";
    public const string ClientEventPrefix = "client-";

    /// <summary>The seed's event name, the same as the hub's: Echo listens with <c>.listen('.agent.thread.token', …)</c>.</summary>
    public const string Token = HubContract.TokenEvent;

    /// <summary>The hub's name too: messages of a stream after <c>lastSequence</c> were dropped for this slow client.</summary>
    public const string Behind = HubContract.BehindEvent;
}
