using Orleans.Concurrency;

namespace ReHome;

/// <summary>
/// One response stream, keyed by stream id. It owns the sequence counter and the done flag: its single-threaded
/// turns stand in for the old Redis INCR and cache flag. Every method fails with a typed <see cref="ReHomeException"/>.
/// </summary>
[Alias("rehome.IStreamGrain")]
public interface IStreamGrain : IGrainWithStringKey
{
    /// <summary>
    /// Starts the stream and registers it with its thread and run. Durable before it returns.
    /// Starting again with the same thread and run is a no-op; with another thread or run it is a
    /// <see cref="StreamConflictException"/>. That holds after the stream ended too, until its tombstone expires
    /// (<c>Streams:DoneRetention</c> + <c>Streams:TombstoneRetention</c>); only then may the id start a new stream.
    /// </summary>
    [Alias("Start")]
    Task<StreamInfo> Start(string threadId, string runId);

    /// <summary>Numbers the token (1, 2, 3, …, in arrival order) and publishes it.</summary>
    /// <remarks>
    /// Not idempotent: a call resent after a timeout may be numbered twice. Producers that retry use
    /// <see cref="AppendMany"/>, which the producer SDK does.
    /// </remarks>
    [Alias("Append")]
    ValueTask<long> Append(string token);

    /// <summary>
    /// Appends tokens at the producer's own sequence numbers, <paramref name="firstSequence"/> onwards.
    /// Tokens the stream already holds with the same text are skipped, so a resend is safe; a different
    /// text at a used number is a <see cref="StreamConflictException"/>, and a number past the next one a
    /// <see cref="SequenceGapException"/> that names the next expected number. A <paramref name="firstSequence"/>
    /// of 0 numbers the tokens next, like <see cref="Append"/>, and is not safe to resend.
    /// All tokens are stored, or none.
    /// </summary>
    [Alias("AppendMany")]
    ValueTask<AppendAck> AppendMany(long firstSequence, string[] tokens);

    /// <summary>
    /// Ends the stream as completed and publishes the done event. Durable before it returns.
    /// The first call returns true; every later call returns false and changes nothing.
    /// </summary>
    /// <param name="fullResponse">The final text; when null, the concatenated tokens (refused when history was trimmed).</param>
    /// <param name="expectedLastSequence">
    /// When given, the stream must hold exactly this many tokens; fewer is a <see cref="SequenceGapException"/>,
    /// so a producer that lost tokens in a silo crash resends them before ending.
    /// </param>
    [Alias("End")]
    Task<bool> End(string? fullResponse, long? expectedLastSequence = null);

    /// <summary>
    /// A server-side stop. Watchers get a done event with reason cancelled and <paramref name="reason"/> as detail;
    /// the producer's next append fails with <see cref="StreamCancelledException"/>. True for the first stop only.
    /// </summary>
    [Alias("Cancel")]
    Task<bool> Cancel(string reason);

    /// <summary>The tokens after <paramref name="afterSequence"/>, for a watcher filling a gap.</summary>
    [Alias("GetTokens"), AlwaysInterleave]
    ValueTask<TokenPage> GetTokens(long afterSequence);

    [Alias("GetInfo"), AlwaysInterleave]
    ValueTask<StreamInfo> GetInfo();

    /// <summary>
    /// <see cref="GetInfo"/> confirmed against storage, for a producer taking over a stream it did not start: during a
    /// failover an older activation may not hold what another one stored, and the producer must go on after that.
    /// Costs one storage read, and a write when tokens since the last checkpoint are not yet stored (the position
    /// handed out is stored: the new producer cannot send again what came before it). Fails with
    /// <see cref="InconsistentStateException"/> (transient: retry) when another activation stored more, and with
    /// <see cref="StorageUnavailableException"/> when storage does not answer.
    /// </summary>
    [Alias("GetPosition")]
    Task<StreamInfo> GetPosition();
}
