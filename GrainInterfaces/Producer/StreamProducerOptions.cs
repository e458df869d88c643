namespace ReHome.Producer;

public sealed class StreamProducerOptions
{
    /// <summary>How long one call keeps retrying through transient failures (a silo dying, a gateway moving).</summary>
    public TimeSpan RetryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// The longest pause between two tries. While a dead silo is being declared dead (a second or two), tries are
    /// refused at once; a short cap makes the first try after the declaration come soon after it.
    /// </summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How long one append (or position query) waits for its answer before it is sent again. A call in flight to a silo
    /// that dies is never answered, and appends are safe to send again (by sequence number), so this, not the Orleans
    /// client's response timeout, bounds what that costs. Start, end and cancel wait for storage and keep the client's
    /// response timeout.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Most queued tokens sent in one call.</summary>
    public int MaxBatchTokens { get; set; } = 256;
}
