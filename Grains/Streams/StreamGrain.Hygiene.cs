using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Storage;

namespace ReHome.Grains;

// Hygiene replaces the old cache TTLs: an open stream with no token for StreamIdleTimeout ends as abandoned,
// and an ended stream clears its stored state DoneRetention after it ended. The silo's sweep (StreamHygieneSweep)
// checks while the grain is active; a durable reminder wakes the grain when it is not (its silo died, or it was deactivated).
// What it clears leaves a tombstone (StreamTombstone) for TombstoneRetention, so the id is not reused meanwhile: the
// grain answers as the ended stream, without its text. The tombstone expires in storage by itself.
internal sealed partial class StreamGrain
{
    private const string HygieneReminderName = "hygiene";

    private const string TombstoneState = "tombstone";

    /// <summary>When a hygiene check could next act (UTC ticks); written in the grain's turns, read by the silo's sweep.</summary>
    private long _hygieneDueTicks = long.MaxValue;

    /// <summary>
    /// The tombstone as this activation last read or wrote it. Read only when the stream has no state (a new id, or one
    /// whose text expired), so an open stream's activation costs no extra read.
    /// </summary>
    private GrainState<StreamTombstone>? _tombstone;

    /// <summary>True while this activation answers from a tombstone: the stream's own state is gone.</summary>
    private bool _retired;

    /// <summary>
    /// The hygiene reminder may not exist: registering it failed, or an earlier activation of this open stream died
    /// before it could. Without it nothing would wake the stream once this activation goes, so the sweep's next check
    /// registers it.
    /// </summary>
    private bool _hygieneReminderMissing;
    private bool _registeringReminder;

    public Task ReceiveReminder(string reminderName, TickStatus status) =>
        reminderName == HygieneReminderName ? CheckHygiene(CancellationToken.None) : Task.CompletedTask;

    Task IStreamHygiene.CheckHygiene() => CheckHygiene(CancellationToken.None);

    /// <summary>Read by the sweep on its own thread: true once a check could act.</summary>
    internal bool HygieneDue(DateTimeOffset now) => now.UtcTicks >= Volatile.Read(ref _hygieneDueTicks);

    private void WatchHygiene()
    {
        UpdateHygieneDue();
        _sweep.Watch(this);
    }

    private void ForgetHygiene()
    {
        _sweep.Forget(this);
        Volatile.Write(ref _hygieneDueTicks, long.MaxValue);
    }

    /// <summary>After any change of phase or activity: when the stream next becomes idle too long, or due to retire.</summary>
    private void UpdateHygieneDue()
    {
        var due = _live.Phase switch
        {
            _ when _retired => DateTimeOffset.MaxValue,
            not StreamPhase.NotStarted when _hygieneReminderMissing => DateTimeOffset.MinValue,
            StreamPhase.Open => _live.LastActivityAt + _options.StreamIdleTimeout,
            StreamPhase.Ended => (_live.EndedAt ?? _time.GetUtcNow()) + _options.DoneRetention,
            _ => DateTimeOffset.MaxValue,
        };
        Volatile.Write(ref _hygieneDueTicks, due.UtcTicks);
    }

    private async Task RegisterHygieneReminder()
    {
        try
        {
            // First due when an open stream could first be idle too long. Orleans keeps a reminder in its silo's memory
            // (about 1.3 KB, with a task waiting for its tick) only from ten minutes before a tick
            // (ReminderOptions.ReminderLoadingWindow), so most streams, which end and retire sooner, never cost that.
            // While the stream is active the silo's sweep does the checks; the reminder is for when its activation is gone.
            var period = _options.HygieneReminderPeriod;
            var due = _options.StreamIdleTimeout > period ? _options.StreamIdleTimeout : period;
            await this.RegisterOrUpdateReminder(HygieneReminderName, due, period);
            _hygieneReminderMissing = false;
        }
        catch (Exception ex)
        {
            // The stream works without it meanwhile; only expiry after this activation goes depends on it.
            _hygieneReminderMissing = true;
            LogReminderFailed(ex, StreamId);
        }

        UpdateHygieneDue();
    }

    private async Task CheckHygiene(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        try
        {
            if (_hygieneReminderMissing && !_retired && _live.Phase != StreamPhase.NotStarted && !_registeringReminder)
            {
                // Not awaited: the call interleaves with appends rather than holding the stream's turn while the
                // reminder service is slow to answer (its silo failing, say).
                _registeringReminder = true;
                _ = RegisterHygieneReminder().ContinueWith(_ => _registeringReminder = false, TaskScheduler.Current);
            }

            if (_live.Phase == StreamPhase.Open && now - _live.LastActivityAt >= _options.StreamIdleTimeout)
            {
                await Finish(StreamEndReason.Abandoned, PartialText(), $"No token for {_options.StreamIdleTimeout}.");
            }
            else if (_live.Phase == StreamPhase.Ended && !_retired && now - _live.EndedAt >= _options.DoneRetention)
            {
                await Retire();
            }
            else if (_live.Phase == StreamPhase.NotStarted || _retired)
            {
                // Nothing left to expire here (a tombstone expires in storage): a reminder that outlived its stream goes.
                await UnregisterHygieneReminder();
            }
        }
        catch (Exception ex)
        {
            LogHygieneFailed(ex, StreamId);
        }
    }

    /// <summary>Replaces the ended stream's state with its tombstone (or nothing, with no tombstone retention).</summary>
    private async Task Retire()
    {
        try
        {
            await _writes;
        }
        catch
        {
            // A failed end write was reported to its caller; the state is cleared either way.
        }

        StreamTombstone? tombstone = null;
        if (_options.TombstoneRetention > TimeSpan.Zero)
        {
            tombstone = StreamTombstone.Of(_live, _history.LastSequence, _time.GetUtcNow() + _options.TombstoneRetention);

            // Write over what is there now, at the version it has: an earlier incarnation's tombstone (which storage may
            // have expired since), or this retirement's own earlier write that timed out and was applied later.
            _tombstone ??= new GrainState<StreamTombstone>();
            await _tombstones.ReadStateAsync(TombstoneState, this.GetGrainId(), _tombstone);
            _tombstone.State = tombstone;
            await _tombstones.WriteStateAsync(TombstoneState, this.GetGrainId(), _tombstone);
        }

        if (_storedVersionUnknown)
        {
            await Reconcile(settled: true, change: null);
        }

        if (_runNotTold)
        {
            // Before the state goes: a failure leaves the stream ended, and the next hygiene check retires it again.
            await GrainFactory.GetGrain<IRunGrain>(_live.RunId).StreamEnded(StreamId, _live.Reason ?? StreamEndReason.Abandoned);
            _runNotTold = false;
        }

        // Before the state goes, so that a failure here is retried with it: the stream is ended and past its retention,
        // so the thread need not list it even if the rest fails.
        await GrainFactory.GetGrain<IThreadGrain>(_live.ThreadId).StreamCleared(StreamId);
        await _chunks.Clear();
        await _state.ClearWhateverIsStored();
        _everStored = false;

        _publisher?.Stop();
        _publisher = null;
        ForgetHygiene();
        if (tombstone is null)
        {
            _live = new StreamState();
            _history.Restore(0, []);
            _durableThrough = 0;
            _storedSettled = false;
        }
        else
        {
            Restore(tombstone);
        }

        await UnregisterHygieneReminder();
        DeactivateOnIdle();
    }

    /// <summary>On activation of a stream with no state: answer as the ended stream its unexpired tombstone stands for.</summary>
    private async Task<bool> TryRestoreTombstone()
    {
        _tombstone = new GrainState<StreamTombstone>();
        await _tombstones.ReadStateAsync(TombstoneState, this.GetGrainId(), _tombstone);
        if (!_tombstone.RecordExists)
        {
            // Nothing to keep: a new stream's activation then holds no tombstone.
            _tombstone = null;
            return false;
        }

        if (_tombstone.State is not { } tombstone || tombstone.ExpiresAt <= _time.GetUtcNow())
        {
            return false;
        }

        Restore(tombstone);
        return true;
    }

    private void Restore(StreamTombstone tombstone)
    {
        _retired = true;
        _live = tombstone.AsEndedState();
        _history.Restore(tombstone.LastSequence, []);
        _durableThrough = tombstone.LastSequence;
        _storedSettled = true;
        _interrupted = false;

        // When it expires, go, so that the next call finds the id free; storage drops the tombstone itself.
        var left = tombstone.ExpiresAt - _time.GetUtcNow();
        this.RegisterGrainTimer(() =>
        {
            DeactivateOnIdle();
            return Task.CompletedTask;
        }, new GrainTimerCreationOptions(left > TimeSpan.Zero ? left : TimeSpan.Zero, Timeout.InfiniteTimeSpan) { KeepAlive = false });
    }

    private async Task UnregisterHygieneReminder()
    {
        if (await this.GetReminder(HygieneReminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream {StreamId} could not register its hygiene reminder; the sweep tries again shortly.")]
    private partial void LogReminderFailed(Exception exception, string streamId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Hygiene check of stream {StreamId} failed; it runs again on the next tick.")]
    private partial void LogHygieneFailed(Exception exception, string streamId);
}
