namespace ReHome.Grains;

[GenerateSerializer, Alias("rehome.RunState")]
public sealed class RunState
{
    /// <summary>Empty until the run's first stream starts.</summary>
    [Id(0)] public string ThreadId { get; set; } = "";
    [Id(1)] public RunStatus Status { get; set; }

    /// <summary>Each stream of the run, and whether it has ended.</summary>
    [Id(2)] public Dictionary<string, bool> Streams { get; set; } = [];

    /// <summary>Last stream start or end; the run is deleted <c>RunRetention</c> after it. Unset in states stored before expiry existed.</summary>
    [Id(3)] public DateTimeOffset LastActivityAt { get; set; }
}
