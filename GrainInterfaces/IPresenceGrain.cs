using Orleans.Concurrency;

namespace ReHome;

/// <summary>
/// Who is watching one thread, keyed by thread id, across every gateway. Each gateway reports the users it holds
/// connections for and renews that report within its lease; a report that is not renewed (its gateway crashed)
/// expires, so the users only it held drop out. Presence is live state, never stored: after a failover the next
/// round of reports rebuilds it.
/// </summary>
[Alias("rehome.IPresenceGrain")]
public interface IPresenceGrain : IGrainWithStringKey
{
    /// <summary>
    /// Replaces what one gateway holds for this thread and renews its lease. An empty list withdraws the gateway.
    /// Changes reach every reporting gateway's observer; the answer is the presence after this report.
    /// </summary>
    [Alias("Report")]
    ValueTask<PresenceSnapshot> Report(PresenceReport report);

    [Alias("Get"), ReadOnly]
    ValueTask<PresenceSnapshot> Get();
}
