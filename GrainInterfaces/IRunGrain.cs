using Orleans.Concurrency;

namespace ReHome;

/// <summary>A model run, keyed by run id: its thread and a status that follows its streams.</summary>
[Alias("rehome.IRunGrain")]
public interface IRunGrain : IGrainWithStringKey
{
    /// <summary>Null until a stream of this run starts.</summary>
    [Alias("GetInfo"), ReadOnly]
    ValueTask<RunInfo?> GetInfo();

    /// <summary>Binds the run to its thread on first use; a run cannot move to another thread.</summary>
    [Alias("StreamStarted")]
    Task StreamStarted(string threadId, string streamId);

    [Alias("StreamEnded")]
    Task StreamEnded(string streamId, StreamEndReason reason);
}
