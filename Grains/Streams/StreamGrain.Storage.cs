using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace ReHome.Grains;

// Storage policy: write-behind for tokens, write-through for lifecycle changes.
// - Appends never wait for storage. A checkpoint stores the tokens after the last sealed chunk (TokenChunks), and any
//   chunk that just filled, at most once per CheckpointInterval while tokens arrive, one write at a time.
// - Start, End and Cancel wait for their write.
// - A crash loses from storage at most the tokens since the last checkpoint. The stored state then reads
//   "open, not settled", which marks it interrupted: numbers past the stored ones may have been handed out,
//   so index-less appends are refused and producers resend with explicit numbers (the producer SDK does).
internal sealed partial class StreamGrain
{
    /// <summary>Every write waits for the one before it, so the last write started is the last one stored.</summary>
    private Task _writes = Task.CompletedTask;
    private long _durableThrough;
    private bool _storedSettled;
    private bool _interrupted;
    private bool _checkpointScheduled;
    private bool _deactivating;

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _deactivating = true;
        // Settled, unless still interrupted: the next activation must keep refusing index-less appends.
        var settled = !_interrupted;
        if (_live.Phase == StreamPhase.Open && (_durableThrough < _history.LastSequence || _storedSettled != settled))
        {
            try
            {
                await Write(settled);
            }
            catch (Exception ex)
            {
                LogCheckpointFailed(ex, StreamId);
            }
        }

        if (_publisher is not null)
        {
            await Task.WhenAny(_publisher.Drained, Task.Delay(TimeSpan.FromSeconds(5), _time));
            _publisher.Stop();
        }
    }

    /// <summary>A lifecycle write that must be stored before the call returns; <paramref name="change"/> applies only once stored.</summary>
    private async Task WriteDurably(string operation, bool settled, Action<StreamState> change)
    {
        try
        {
            await Write(settled, change);
        }
        catch (Exception ex) when (ex is not ReHomeException)
        {
            LogDurableWriteFailed(ex, StreamId, operation);
            throw new StorageUnavailableException($"Stream '{StreamId}' could not store its {operation}.", ex);
        }
    }

    /// <summary>
    /// Before handing out a number past what storage holds, storage must say "not settled"; otherwise a crash
    /// would leave a state that looks complete, and the next activation could reuse the number.
    /// </summary>
    private Task EnsureUnsettled() =>
        _storedSettled ? WriteDurably("first token after reactivation", settled: false, _ => { }) : Task.CompletedTask;

    private void ScheduleCheckpoint()
    {
        if (_checkpointScheduled || _deactivating)
        {
            return;
        }

        _checkpointScheduled = true;
        _ = CheckpointSoon();
    }

    private async Task CheckpointSoon()
    {
        await Task.Delay(_options.CheckpointInterval, _time);
        _checkpointScheduled = false;
        if (_deactivating || _live.Phase != StreamPhase.Open || _durableThrough >= _history.LastSequence)
        {
            return;
        }

        try
        {
            await Write(settled: false);
        }
        catch (Exception ex)
        {
            // Appends go on; the next checkpoint retries. Producers keep their unstored tokens meanwhile.
            LogCheckpointFailed(ex, StreamId);
            ScheduleCheckpoint();
        }
    }

    private Task Write(bool settled, Action<StreamState>? change = null)
    {
        var write = WriteAfter(_writes, settled, change);
        _writes = write;
        return write;
    }

    private async Task WriteAfter(Task previous, bool settled, Action<StreamState>? change)
    {
        try
        {
            await previous;
        }
        catch
        {
            // The earlier write's caller handles its failure; this write stores the newer state regardless.
        }

        var snapshot = Copy(_live);
        change?.Invoke(snapshot);
        snapshot.LastSequence = _history.LastSequence;
        var sealing = _chunks.Checkpoint(_history, snapshot);
        snapshot.Settled = settled;

        // Chunks first: a head is stored only once every chunk it names is.
        await _chunks.Store(sealing);
        _state.State = snapshot;
        try
        {
            await _state.WriteStateAsync();
        }
        catch (InconsistentStateException)
        {
            // Someone else wrote this grain's state (a duplicate activation during a failover, or a write
            // that timed out yet landed). Let a fresh activation read the truth.
            DeactivateOnIdle();
            throw;
        }

        change?.Invoke(_live);
        _durableThrough = snapshot.LastSequence;
        _storedSettled = settled;
        await _chunks.HeadStored(snapshot);
    }

    private static StreamState Copy(StreamState s) => new()
    {
        Phase = s.Phase,
        ThreadId = s.ThreadId,
        RunId = s.RunId,
        LastSequence = s.LastSequence,
        Settled = s.Settled,
        Reason = s.Reason,
        Detail = s.Detail,
        FullResponse = s.FullResponse,
        StartedAt = s.StartedAt,
        LastActivityAt = s.LastActivityAt,
        EndedAt = s.EndedAt,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checkpoint of stream {StreamId} failed; tokens stay in memory and the write is retried.")]
    private partial void LogCheckpointFailed(Exception exception, string streamId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stream {StreamId} could not store its {Operation}.")]
    private partial void LogDurableWriteFailed(Exception exception, string streamId, string operation);
}
