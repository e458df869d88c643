namespace ReHome.Producer;

public sealed class StreamProducerOptions
{
    /// <summary>How long one call keeps retrying through transient failures (a silo dying, a gateway moving).</summary>
    public TimeSpan RetryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Most queued tokens sent in one call.</summary>
    public int MaxBatchTokens { get; set; } = 256;
}
