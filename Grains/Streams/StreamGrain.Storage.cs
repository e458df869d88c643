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
// - A write that times out may still be applied later (Redis paused, then resumed). The grain then no longer
//   knows the stored version, so before its next write, and whenever a write conflicts, it re-reads the stored
//   state and its version and writes over it if it is an earlier version of its own (see StoredVersion). It
//   never drops the tokens it holds. Only a state another activation wrote makes it deactivate.
internal sealed partial class StreamGrain
{
    /// <summary>A write that reconciles again after this many conflicts in a row gives up: something else keeps writing.</summary>
    private const int MaxReconciles = 3;

    /// <summary>Every write waits for the one before it, so the last write started is the last one stored.</summary>
    private Task _writes = Task.CompletedTask;
    private long _durableThrough;
    private bool _storedSettled;

    /// <summary>A write failed without saying whether it was applied; the stored version must be read before the next.</summary>
    private bool _storedVersionUnknown;

    /// <summary>This activation has read or written a stored record, so a missing one was deleted by someone else.</summary>
    private bool _everStored;
    private bool _interrupted;
    private bool _checkpointScheduled;
    private bool _deactivating;

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _deactivating = true;
        ForgetHygiene();
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

        RecallStoredText();
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
        finally
        {
            ForgetFinishedWrites();
        }
    }

    /// <summary>An end's write failed without saying whether it was stored (Redis hung: it may land when Redis resumes).</summary>
    private bool _endUnconfirmed;

    /// <summary>
    /// Before handing out a number past what storage holds, storage must say "not settled"; otherwise a crash
    /// would leave a state that looks complete, and the next activation could reuse the number. After an end whose
    /// write failed, storage must also say the stream is still open: viewers would otherwise be shown tokens past an
    /// end that lands later. This write settles both. It stores a newer version, so the end's write can no longer
    /// land; if the end was stored, the write finds it and the grain steps aside for an activation that reads it.
    /// </summary>
    private async Task EnsureUnsettled()
    {
        if (_storedSettled || _endUnconfirmed)
        {
            await WriteDurably(_endUnconfirmed ? "open state after a failed end" : "first token after reactivation", settled: false, _ => { });
            _endUnconfirmed = false;
        }
    }

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

        ForgetFinishedWrites();
    }

    private Task Write(bool settled, Action<StreamState>? change = null)
    {
        var write = WriteAfter(_writes, settled, change);
        _writes = write;
        return write;
    }

    /// <summary>
    /// Lets go of the last write once it is done, so an open stream between checkpoints does not keep its finished
    /// state machine (about 140 bytes). Nothing is lost: a later write waits on a done one only to order after it.
    /// </summary>
    private void ForgetFinishedWrites()
    {
        if (_writes.IsCompleted)
        {
            _writes = Task.CompletedTask;
        }
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

        for (var reconciles = 0; ; reconciles++)
        {
            if (_storedVersionUnknown)
            {
                await Reconcile(settled, change);
            }

            var (snapshot, sealing) = Snapshot(settled, change);
            try
            {
                // Chunks first: a head is stored only once every chunk it names is.
                await _chunks.Store(sealing);
                _state.State = snapshot;
                await _state.WriteStateAsync();
            }
            catch (InconsistentStateException) when (reconciles < MaxReconciles)
            {
                // The version moved under this write: most likely an earlier write of ours that timed out was applied since.
                _storedVersionUnknown = true;
                LogWriteConflicted(StreamId, snapshot.LastSequence);
                continue;
            }
            catch (InconsistentStateException)
            {
                StepAside();
                throw;
            }
            catch
            {
                // Timed out or failed in transit: it may still be applied later.
                _storedVersionUnknown = true;
                throw;
            }

            change?.Invoke(_live);
            _durableThrough = snapshot.LastSequence;
            _storedSettled = settled;
            _everStored = true;
            await _chunks.HeadStored(snapshot);
            ForgetStoredText();
            return;
        }
    }

    /// <summary>
    /// Drops the token text of the last stored head once it is stored or restored: the history holds the same tokens,
    /// and the next write builds its head from the history. Only the head's version (the ETag) matters until then.
    /// Otherwise each open stream would keep its unsealed tokens twice (up to 255 of them).
    /// </summary>
    private void ForgetStoredText()
    {
        _state.State.TokenText = "";
        _state.State.TokenLengths = [];
    }

    /// <summary>
    /// Puts the last stored head's text back as the activation goes. An activation of a stopping silo can hand its
    /// persistent state and version to the next activation (Orleans' activation migration), which then restores from
    /// that state without reading storage: without the text, its history would start after the sealed chunks (seen in
    /// the rolling-restart fault test: same version, no text).
    /// </summary>
    private void RecallStoredText()
    {
        var head = _state.State;
        if (head.LastSequence > head.SealedThrough && head.TokenText.Length == 0)
        {
            (head.TokenText, head.TokenLengths) = _history.Pack(head.SealedThrough + 1, head.LastSequence);
        }
    }

    /// <summary>
    /// Reads what storage holds and its version. An earlier version of this activation's own state is written over
    /// by the caller; anything else was written by another activation, and this one deactivates.
    /// </summary>
    private async Task Reconcile(bool settled, Action<StreamState>? change)
    {
        await _state.ReadStateAsync();
        var stored = _state.State;
        if (!StoredVersion.IsEarlierVersionOf(stored, _state.RecordExists, _everStored, Snapshot(settled, change).Head, _history.Get))
        {
            StepAside();
            throw new InconsistentStateException(
                $"Stream '{StreamId}' found state written by another activation (stored sequence {stored.LastSequence}, phase {stored.Phase}).");
        }

        LogReconciled(StreamId, stored.LastSequence, _history.LastSequence);
        _storedVersionUnknown = false;
        _everStored |= _state.RecordExists;
    }

    /// <summary>
    /// Refuses a number past this activation's last one, once storage confirms the tokens before it are missing.
    /// During a membership change Orleans' directory can start a second activation from storage while the first still
    /// takes appends and stores them (seen in the rolling-restart fault test). Calls that reach the second then find a
    /// gap that is its own staleness: the producer has let go of the tokens the first stored, and could not resend
    /// them. So a gap first reads storage; if another activation stored more, this one steps aside and the caller's
    /// retry (the error is transient) reaches a fresh activation that reads it.
    /// </summary>
    private async Task<T> RefuseGap<T>(long requested)
    {
        await StepAsideIfStoredAhead();
        throw new SequenceGapException(StreamId, _history.LastSequence + 1, requested);
    }

    /// <summary>
    /// Reads the stored head; when another activation stored more than this one holds (a duplicate during a
    /// failover), or changed whether the stream is settled (it began numbering past the head, or deactivated cleanly),
    /// steps aside and throws the transient <see cref="InconsistentStateException"/>, so the caller's retry reaches an
    /// activation that has read storage, and knows whether the stream is interrupted. A read that fails is
    /// <see cref="StorageUnavailableException"/>: without storage's word the grain can confirm neither its position
    /// nor a gap.
    /// </summary>
    private async Task StepAsideIfStoredAhead()
    {
        var stored = new GrainState<StreamState>();
        try
        {
            await _storage.ReadStateAsync(StateName, this.GetGrainId(), stored);
        }
        catch (Exception ex)
        {
            throw new StorageUnavailableException($"Stream '{StreamId}' could not read its stored state to confirm its position.", ex);
        }

        if (stored is { RecordExists: true, State: { } other }
            && (other.LastSequence > _history.LastSequence || other.Phase > _live.Phase || SettledByAnother(other)))
        {
            StepAside();
            throw new InconsistentStateException(
                $"Stream '{StreamId}' was stored through sequence {other.LastSequence} by another activation; " +
                $"this one holds {_history.LastSequence} and is stepping aside. Retry.");
        }
    }

    /// <summary>
    /// Another activation changed whether the open stream is settled since this one last stored or read it: it began
    /// numbering past the stored head, or deactivated cleanly. Only when none of this activation's own writes can still
    /// land, since those change the flag too.
    /// </summary>
    private bool SettledByAnother(StreamState stored) =>
        stored.Phase == StreamPhase.Open && stored.Settled != _storedSettled && _writes.IsCompleted && !_storedVersionUnknown;

    /// <summary>Another activation wrote this grain's state (a duplicate during a failover): let a fresh activation read the truth.</summary>
    private void StepAside()
    {
        LogDuplicateActivation(StreamId, _history.LastSequence);
        DeactivateOnIdle();
    }

    /// <summary>The head to store now, and the chunks that filled since the last checkpoint, to store before it.</summary>
    private (StreamState Head, IReadOnlyList<(long Index, StreamTokenChunk Chunk)> Sealing) Snapshot(bool settled, Action<StreamState>? change)
    {
        var snapshot = Copy(_live);
        change?.Invoke(snapshot);
        snapshot.LastSequence = _history.LastSequence;
        var sealing = _chunks.Checkpoint(_history, snapshot);
        snapshot.Settled = settled;
        return (snapshot, sealing);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "A write of stream {StreamId} through sequence {Sequence} conflicted with the stored version; reading it to reconcile.")]
    private partial void LogWriteConflicted(string streamId, long sequence);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream {StreamId} reconciled with storage: it holds an earlier write of this activation (through sequence {StoredSequence}); writing over it with sequence {Sequence}.")]
    private partial void LogReconciled(string streamId, long storedSequence, long sequence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream {StreamId} found its stored state written by another activation; deactivating with sequence {Sequence} in memory so the next call reads the stored state.")]
    private partial void LogDuplicateActivation(string streamId, long sequence);
}
