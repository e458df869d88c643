using Orleans.Concurrency;

namespace ReHome;

/// <summary>A conversation thread, keyed by thread id: who may watch it, and its live and recent streams.</summary>
[Alias("rehome.IThreadGrain")]
public interface IThreadGrain : IGrainWithStringKey
{
    /// <summary>Creates the thread or replaces its access list.</summary>
    [Alias("Configure")]
    Task Configure(ThreadAccess access);

    /// <summary>The access list, or null when no backend has configured the thread.</summary>
    [Alias("GetAccess"), ReadOnly]
    ValueTask<ThreadAccess?> GetAccess();

    /// <summary>
    /// How long ago someone last lost access, or null. A Pusher channel signature names a socket, not a user: one for
    /// a socket older than this may have been signed for a user who has lost access since. An age rather than a time,
    /// so that the gateway compares it with a socket's age on its own clock, whatever the silo's says.
    /// </summary>
    [Alias("SinceAccessNarrowed"), ReadOnly]
    ValueTask<TimeSpan?> SinceAccessNarrowed();

    /// <summary>True when the user owns the thread or is one of its members.</summary>
    [Alias("CanAccess"), ReadOnly]
    ValueTask<bool> CanAccess(string userId);

    /// <summary>The open streams, then the recently ended ones, newest first.</summary>
    [Alias("GetStreams"), ReadOnly]
    Task<StreamInfo[]> GetStreams();

    /// <summary>Called by a starting stream. Enforces that the thread exists and the start rate limit.</summary>
    [Alias("StreamStarted")]
    Task StreamStarted(string streamId, string runId);

    /// <summary>
    /// Called by a stream that ended, with what it is now: the thread lists it from this from then on, so listing a
    /// thread wakes none of its ended streams' grains (a reconnect storm would otherwise activate, and read from
    /// storage, up to <c>Streams:RecentStreamsPerThread</c> of them per join).
    /// </summary>
    [Alias("StreamEndedWithInfo")]
    Task StreamEnded(StreamInfo final);

    /// <summary>The same without what the stream is now, as stream grains of the version before call it.</summary>
    [Alias("StreamEnded")]
    Task StreamEnded(string streamId);

    /// <summary>Called when an ended stream's retention expires and its state is cleared.</summary>
    [Alias("StreamCleared")]
    Task StreamCleared(string streamId);
}
