namespace ReHome;

/// <summary>
/// One gateway's watchers of a thread: the distinct user ids it holds connections for, how long this report stays
/// valid without renewal, and where to tell the gateway about changes.
/// </summary>
[GenerateSerializer, Immutable, Alias("rehome.PresenceReport")]
public sealed record PresenceReport(
    [property: Id(0)] string GatewayId,
    [property: Id(1)] string[] UserIds,
    [property: Id(2)] TimeSpan Lease,
    [property: Id(3)] IPresenceObserver Observer);
