using System.ComponentModel.DataAnnotations;

namespace ReHome.Grains;

/// <summary>Limits and lifetimes of response streams, bound from the <c>Streams</c> configuration section.</summary>
public sealed class StreamOptions
{
    public const string Section = "Streams";

    /// <summary>Longest token, in Unicode code points. Longer tokens are refused, never truncated.</summary>
    [Range(1, 1_000_000)]
    public int MaxTokenChars { get; set; } = 1000;

    /// <summary>Most tokens in one <c>AppendMany</c> call.</summary>
    [Range(1, 100_000)]
    public int MaxTokensPerAppend { get; set; } = 1000;

    /// <summary>Longest full response passed to End, in UTF-16 characters.</summary>
    [Range(1, 64_000_000)]
    public int MaxFullResponseChars { get; set; } = 4_000_000;

    /// <summary>Most tokens a stream keeps for replay; older ones are dropped.</summary>
    [Range(1, 10_000_000)]
    public int MaxHistoryTokens { get; set; } = 10_000;

    /// <summary>Most UTF-8 bytes of token text a stream keeps for replay; older tokens are dropped.</summary>
    [Range(1, int.MaxValue)]
    public int MaxHistoryBytes { get; set; } = 1 << 20;

    /// <summary>A stream with no token for this long is ended as abandoned (the old 15-minute sequence-key TTL).</summary>
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>An ended stream keeps its done flag and text this long, then clears its state (the old 5-minute done flag).</summary>
    public TimeSpan DoneRetention { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// After <see cref="DoneRetention"/>, an ended stream's id stays taken this long more by a small tombstone (no text):
    /// starting it again is a no-op that answers the ended stream, and appends are refused as <c>stream_ended</c>.
    /// Only then may the id start a new stream, numbered from 1 again. Whole seconds (Redis expires it); 0 keeps none.
    /// </summary>
    public TimeSpan TombstoneRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Sustained tokens per second per stream. Fast models emit 200+ tokens/s; the default leaves wide room.</summary>
    [Range(0.001, 1_000_000)]
    public double MaxTokensPerSecond { get; set; } = 2000;

    /// <summary>Tokens a stream may send at once above the sustained rate.</summary>
    [Range(1, 10_000_000)]
    public int TokenBurst { get; set; } = 2000;

    /// <summary>Stream starts allowed per thread per minute.</summary>
    [Range(1, 1_000_000)]
    public int StreamStartsPerThreadPerMinute { get; set; } = 100;

    /// <summary>
    /// Tokens are written to grain storage behind the stream, at most once per this interval while tokens arrive.
    /// A silo crash can lose the tokens of the last interval from storage; the producer SDK resends them.
    /// </summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Ended streams a thread lists for late joiners, besides its open ones.</summary>
    [Range(0, 10_000)]
    public int RecentStreamsPerThread { get; set; } = 20;

    /// <summary>
    /// Period of the durable reminder that wakes a stream whose silo died or that was deactivated, so idle and
    /// retention expiry happen even with no activation. It first ticks <see cref="StreamIdleTimeout"/> after the start
    /// (a stream whose activation was lost retires no earlier than that). While active, the silo's sweep checks it
    /// (<see cref="StreamHygieneSweep"/>). At least Orleans' minimum reminder period (one minute); a shorter one is
    /// refused at start (<see cref="StreamOptionsValidator"/>).
    /// </summary>
    public TimeSpan HygieneReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// A thread with no activity this long (configured, or a stream of it started or ended) is deleted: its access
    /// list and stream list are gone from storage, and it must be configured again before use.
    /// </summary>
    public TimeSpan ThreadRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>A run is deleted this long after its last change (its last stream's start or end).</summary>
    public TimeSpan RunRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// After its retention first comes due, a thread or run that was active meanwhile checks again this often
    /// (a durable reminder: one activation per thread or run per period). Expiry happens at most this late. At least
    /// Orleans' minimum reminder period (one minute); a shorter one is refused at start (<see cref="StreamOptionsValidator"/>).
    /// </summary>
    public TimeSpan RetentionCheckPeriod { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// How often a thread-feed relay calls each gateway it sent nothing to since the last time, so that the
    /// subscriptions of a gateway that died while its threads were idle are let go (a failed call drops them).
    /// </summary>
    public TimeSpan RelayIdleProbe { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Thread-feed relays; threads are spread over them. Clients must use the same number.</summary>
    [Range(1, ThreadStreams.MaxQueueCount)]
    public int QueueCount { get; set; } = ThreadStreams.DefaultQueueCount;
}
