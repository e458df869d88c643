using Microsoft.Extensions.Logging;

namespace ReHome.Producer;

/// <summary>
/// One stream's send queue in the producer. Tokens are numbered by the producer and sent in order, one call at a
/// time; tokens queued meanwhile go together in the next call. Tokens the grain has not yet stored are kept, so
/// that after a silo crash they can be resent under the same numbers.
/// </summary>
internal sealed partial class ProducerStream
{
    private const int MaxResendsPerCall = 3;

    private readonly IStreamGrain _grain;
    private readonly Retry _retry;
    private readonly int _maxBatch;
    private readonly TimeSpan _attemptTimeout;
    private readonly ProducerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly SendQueue<(string Token, TaskCompletionSource<long> Sent)> _queue;

    /// <summary>Tokens after the grain's last stored sequence, ending at <see cref="_lastSequence"/>. Touched only by the sender.</summary>
    private readonly List<string> _unstored = [];
    private long _lastSequence;

    /// <summary>The last sequence the grain has answered for: tokens after it that are kept were never acknowledged.</summary>
    private long _acknowledgedThrough;

    public ProducerStream(IStreamGrain grain, long lastSequence, Retry retry, int maxBatch, TimeSpan attemptTimeout, ProducerMetrics metrics, ILogger logger)
    {
        _logger = logger;
        _attemptTimeout = attemptTimeout;
        _metrics = metrics;
        _grain = grain;
        _lastSequence = _acknowledgedThrough = lastSequence;
        _retry = retry;
        _maxBatch = maxBatch;
        _queue = new(SendBatch, maxBatch);
    }

    /// <summary>The last sequence this producer has had acknowledged; -1 until known.</summary>
    public long LastSequence => _lastSequence;

    public Task<long> Enqueue(string token)
    {
        var sent = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Enqueue((token, sent));
        return sent.Task;
    }

    /// <summary>Completes once every token queued so far has been sent or has failed.</summary>
    public Task Drain() => _queue.Drain();

    /// <summary>Ends the stream after this producer's tokens, resending any the grain lost first.</summary>
    public async Task<bool> End(string? fullResponse, CancellationToken cancellationToken)
    {
        // The caller's cancellation stops the wait, not the sends: queued tokens still go out in order.
        await Drain().WaitAsync(cancellationToken);
        await EnsurePosition(cancellationToken);
        var attempts = 0;
        return await _retry.Run("End", async () =>
        {
            attempts++;
            // A retry that finds the stream ended may be our own first attempt having landed, or another end (a
            // viewer's stop) that came first: the stored reason tells which.
            return await ResendingGaps(() => _grain.End(fullResponse, _lastSequence))
                || (attempts > 1 && (await _grain.GetInfo()).Reason == StreamEndReason.Completed);
        }, Retry.IsTransientStorageOrRate, cancellationToken);
    }

    private async Task SendBatch(List<(string Token, TaskCompletionSource<long> Sent)> batch)
    {
        try
        {
            await EnsurePosition(CancellationToken.None);
            var tokens = new string[batch.Count];
            for (var i = 0; i < tokens.Length; i++)
            {
                tokens[i] = batch[i].Token;
            }

            var first = await Append(tokens);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Sent.TrySetResult(first + i);
            }
        }
        catch (InvalidRequestException) when (batch.Count > 1)
        {
            // One bad token refuses the whole call and stores nothing; send them one by one so only it fails.
            foreach (var single in batch)
            {
                await SendBatch([single]);
            }
        }
        catch (Exception ex)
        {
            foreach (var item in batch)
            {
                item.Sent.TrySetException(ex);
            }
        }
    }

    /// <summary>Appends the tokens after the last numbered one and returns the first one's number.</summary>
    private async Task<long> Append(string[] tokens)
    {
        // Numbered at each try: a resend may drop a kept token the grain refuses (see Resend).
        var first = _lastSequence + 1;
        AppendAck ack;
        try
        {
            ack = await _retry.Run("Append", () => ResendingGaps(() => AppendOnce(first = _lastSequence + 1, tokens)),
                Retry.IsTransientStorageOrRate, CancellationToken.None);
        }
        catch (Exception ex) when (Retry.IsTransientOrStorage(ex))
        {
            // Retries ran out, yet an attempt may have landed and reached viewers. Keep the tokens under their
            // numbers, as if sent: the next call (or End) finds out from the grain and resends them if they are missing,
            // so the stream never gets other text at those numbers.
            Keep(tokens);
            throw;
        }

        Keep(tokens);
        _acknowledgedThrough = _lastSequence;
        Forget(ack.DurableThrough);
        return first;
    }

    private void Keep(string[] tokens)
    {
        _unstored.AddRange(tokens);
        _lastSequence += tokens.Length;
    }

    /// <summary>
    /// A call refused with a gap is made again after the resend. A few times at most: the grain can lose its tokens
    /// again meanwhile (a rolling restart takes one silo after another), but not for ever.
    /// </summary>
    private async Task<T> ResendingGaps<T>(Func<Task<T>> call)
    {
        for (var resends = 0; ; resends++)
        {
            try
            {
                return await call();
            }
            catch (SequenceGapException gap) when (resends < MaxResendsPerCall)
            {
                await Resend(gap);
            }
        }
    }

    /// <summary>The grain came back from a crash without tokens it had acknowledged: send them again, same numbers.</summary>
    private async Task Resend(SequenceGapException gap)
    {
        var next = gap.ExpectedSequence;
        var chunkSize = _maxBatch;
        while (next <= _lastSequence)
        {
            var firstUnstored = _lastSequence - _unstored.Count + 1;
            if (next < firstUnstored)
            {
                // The grain reported those as stored earlier; they are gone for good.
                throw gap;
            }

            var start = (int)(next - firstUnstored);
            var chunk = _unstored.GetRange(start, Math.Min(chunkSize, _unstored.Count - start)).ToArray();
            AppendAck ack;
            try
            {
                ack = await AppendOnce(next, chunk);
            }
            catch (InvalidRequestException) when (chunk.Length > 1)
            {
                // The call's size (Streams:MaxTokensPerAppend or TokenBurst below this SDK's batch), or a kept token
                // the grain never took: fewer at a time finds out which.
                chunkSize = chunk.Length / 2;
                continue;
            }
            catch (InvalidRequestException refused) when (next > _acknowledgedThrough)
            {
                // Kept when its retries ran out, but never acknowledged: the grain refuses it (too long, say), so it
                // never held it, nor anything after it. Drop it and number what follows down by one; its caller
                // already has the failure.
                LogKeptTokenRefused(refused, next);
                _unstored.RemoveAt(start);
                _lastSequence--;
                continue;
            }
            catch (SequenceGapException again) when (again.ExpectedSequence < next)
            {
                // The grain lost what this resend had just put back (its silo went too, as in a rolling restart):
                // start again from where it stands now.
                next = again.ExpectedSequence;
                continue;
            }

            _metrics.Resent(chunk.Length);
            next += chunk.Length;
            _acknowledgedThrough = Math.Max(_acknowledgedThrough, next - 1);
            Forget(ack.DurableThrough);
        }
    }

    /// <summary>
    /// One try of an append. Past <c>attemptTimeout</c> the answer is no longer awaited (a <see cref="TimeoutException"/>,
    /// retried): the call may still land, which a resend under the same numbers is safe against.
    /// </summary>
    private Task<AppendAck> AppendOnce(long first, string[] tokens) => _grain.AppendMany(first, tokens).AsTask().WaitAsync(_attemptTimeout);

    private void Forget(long durableThrough)
    {
        var firstUnstored = _lastSequence - _unstored.Count + 1;
        var stored = (int)Math.Clamp(durableThrough - firstUnstored + 1, 0, _unstored.Count);
        _unstored.RemoveRange(0, stored);
    }

    /// <summary>
    /// A producer that did not start the stream learns where it stands before its first send. It cannot go on from an
    /// interrupted stream: viewers may hold tokens past the stored head that it does not have.
    /// </summary>
    private async Task EnsurePosition(CancellationToken cancellationToken)
    {
        if (_lastSequence < 0)
        {
            var info = await _retry.Run("GetPosition", () => _grain.GetPosition().WaitAsync(_attemptTimeout), Retry.IsTransientOrStorage, cancellationToken);
            if (info.Interrupted && !info.Done)
            {
                throw new StreamInterruptedException(info.StreamId, info.LastSequence);
            }

            _lastSequence = _acknowledgedThrough = info.LastSequence;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A token kept under sequence {Sequence} after its retries ran out is refused by the grain; it is dropped and the tokens after it are numbered down by one.")]
    private partial void LogKeptTokenRefused(Exception exception, long sequence);
}
