namespace ReHome.Producer;

/// <summary>
/// What a backend service uses to stream a model's answer (the successor of the old <c>StreamingService</c>).
/// Calls are retried through silo failovers without numbering a token twice; every refusal is a typed
/// <see cref="ReHomeException"/>. Use one producer per stream: it tracks the stream's sequence numbers.
/// </summary>
public interface IStreamProducer
{
    /// <summary>Creates the thread or replaces who may watch it.</summary>
    Task ConfigureThreadAsync(string threadId, ThreadAccess access, CancellationToken cancellationToken = default);

    /// <summary>Starts a stream and returns its id; a new id is made when none is given.</summary>
    Task<string> StartStreamAsync(string threadId, string runId, string? streamId = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends a token and returns its sequence number. Tokens sent without waiting are queued in call order and
    /// sent in batches while a call is in flight.
    /// </summary>
    /// <remarks>
    /// Cancelling stops the wait, not the send: a queued token still gets its number. When retries run out the call
    /// fails, but the token keeps its place and is resent before the next one if the grain lacks it, so do not send
    /// it again. A producer that did not start the stream (a restarted backend) goes on after what the cluster stored,
    /// unless the stream was interrupted by a silo failure (<see cref="StreamInterruptedException"/>): viewers may hold
    /// tokens past that point which this producer does not have, so it may only cancel the stream. A refusal that
    /// means the stream takes nothing more (ended, stopped by a viewer, unknown, interrupted) also makes the producer
    /// forget the stream, so a backend that stops generating need not end it.
    /// </remarks>
    Task<long> StreamTokenAsync(string streamId, string token, CancellationToken cancellationToken = default);

    /// <summary>
    /// Waits for this producer's queued tokens, then ends the stream. True when this call ended it, false when it
    /// had already ended: also when an attempt that timed out is retried and finds the stream stopped by a viewer
    /// meanwhile (its reason is not <see cref="StreamEndReason.Completed"/>).
    /// </summary>
    /// <remarks>
    /// When it fails without the stream being over (retries ran out), the producer keeps the tokens the grain may not
    /// have stored, so that calling it again resends any the grain lost before it ends the stream; to give up on the
    /// stream instead, call <see cref="CancelAsync"/>.
    /// </remarks>
    Task<bool> EndStreamAsync(string streamId, string? fullResponse = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stops the stream on the server; watchers are told why. True when the stream ends cancelled by this call (a
    /// retry that finds it cancelled counts), false when it had ended otherwise.
    /// </summary>
    Task<bool> CancelAsync(string streamId, string reason, CancellationToken cancellationToken = default);
}
