namespace ReHome;

[GenerateSerializer, Alias("rehome.RunStatus")]
public enum RunStatus
{
    Running = 0,
    Completed = 1,
    Failed = 2,
    Cancelled = 3,
}

/// <summary>A run: its thread, its status (following its streams) and its streams.</summary>
[GenerateSerializer, Immutable, Alias("rehome.RunInfo")]
public sealed record RunInfo(
    [property: Id(0)] string RunId,
    [property: Id(1)] string ThreadId,
    [property: Id(2)] RunStatus Status,
    [property: Id(3)] string[] StreamIds);
