using System.ComponentModel.DataAnnotations;

namespace ReHome.Gateway.Quotas;

/// <summary>
/// What one client may take from a gateway, from the <c>Quotas</c> section. Each is refused with a typed answer:
/// <c>rate_limited</c> (a rate, with when to retry) or <c>quota_exceeded</c> (a count).
/// </summary>
public sealed class QuotaOptions
{
    public const string Section = "Quotas";

    /// <summary>
    /// Hub calls one user (the token's <c>sub</c>) may make per second on one gateway, on average, over all their
    /// connections (every call counts, refused ones too). Per user rather than per connection, so that reconnecting
    /// does not refill it.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int HubInvocationsPerSecond { get; set; } = 20;

    /// <summary>Hub calls one user may make at once after being quiet: their pages re-joining their threads and fetching what they missed after a reconnect.</summary>
    [Range(1, int.MaxValue)]
    public int HubInvocationBurst { get; set; } = 100;

    /// <summary>Threads one connection may have joined at a time.</summary>
    [Range(1, int.MaxValue)]
    public int ThreadsPerConnection { get; set; } = 50;

    /// <summary>Open hub connections one user (the token's <c>sub</c>) may hold on one gateway: tabs and devices.</summary>
    [Range(1, int.MaxValue)]
    public int ConnectionsPerUser { get; set; } = 20;

    /// <summary>Producer API requests per second per service key, on average, before the grains' own limits.</summary>
    [Range(1, int.MaxValue)]
    public int ProducerRequestsPerSecond { get; set; } = 1000;

    /// <summary>Producer API requests one service key may make at once after being quiet.</summary>
    [Range(1, int.MaxValue)]
    public int ProducerRequestBurst { get; set; } = 2000;
}
