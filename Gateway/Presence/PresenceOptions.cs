namespace ReHome.Gateway.Presence;

/// <summary>Presence settings, from the <c>Presence</c> section.</summary>
public sealed class PresenceOptions
{
    public const string Section = "Presence";

    /// <summary>How often this gateway renews its report of who watches each thread it serves.</summary>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a report stays valid without renewal. When a gateway crashes, the users only it held drop out this
    /// long after its last renewal (plus at most a second). At least twice <see cref="Heartbeat"/>.
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(15);

    public bool IsValid => Heartbeat > TimeSpan.Zero && Lease >= 2 * Heartbeat && Lease >= TimeSpan.FromSeconds(1) && Lease <= TimeSpan.FromMinutes(10);
}
