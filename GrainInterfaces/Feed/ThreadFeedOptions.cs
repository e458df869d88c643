namespace ReHome.Feed;

/// <summary>How the thread-feed queues behave; named options of the stream provider, set by the silo from <c>Streams</c>.</summary>
public sealed class ThreadFeedOptions
{
    /// <summary>
    /// Longest a pulling agent's read waits on an empty queue. A read returns as soon as an entry is queued, so this
    /// bounds only how often an idle queue is asked (and how soon the agent's housekeeping runs), not delivery delay.
    /// </summary>
    public TimeSpan ReadWait { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Entries the pulling agent caches per queue until every subscriber has had them; reading pauses when full.</summary>
    public int CacheSize { get; set; } = 4096;

    /// <summary>Most entries a producing process sends to one queue in one call; more wait for the next call.</summary>
    public int MaxEntriesPerEnqueue { get; set; } = 1024;
}
