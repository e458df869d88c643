namespace ReHome;

/// <summary>
/// The users watching a thread, sorted, each once. <see cref="Version"/> grows with every change, also across a
/// reactivation of the presence grain (it starts from the clock), so a receiver can keep only the newest.
/// </summary>
[GenerateSerializer, Immutable, Alias("rehome.PresenceSnapshot")]
public sealed record PresenceSnapshot(
    [property: Id(0)] string ThreadId,
    [property: Id(1)] long Version,
    [property: Id(2)] string[] UserIds);
