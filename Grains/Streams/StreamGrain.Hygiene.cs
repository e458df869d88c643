using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace ReHome.Grains;

// Hygiene replaces the old cache TTLs: an open stream with no token for StreamIdleTimeout ends as abandoned,
// and an ended stream clears its stored state DoneRetention after it ended. A timer checks while the grain is
// active; a durable reminder wakes the grain when it is not (its silo died, or it was deactivated).
internal sealed partial class StreamGrain
{
    private const string HygieneReminderName = "hygiene";

    private IGrainTimer? _hygieneTimer;

    public Task ReceiveReminder(string reminderName, TickStatus status) =>
        reminderName == HygieneReminderName ? CheckHygiene(CancellationToken.None) : Task.CompletedTask;

    private void StartHygieneTimer()
    {
        var shortest = _options.StreamIdleTimeout < _options.DoneRetention ? _options.StreamIdleTimeout : _options.DoneRetention;
        var period = TimeSpan.FromTicks(Math.Clamp(shortest.Ticks / 10, TimeSpan.FromMilliseconds(20).Ticks, TimeSpan.FromSeconds(30).Ticks));
        _hygieneTimer ??= this.RegisterGrainTimer(CheckHygiene, new GrainTimerCreationOptions(period, period)
        {
            Interleave = false,
            KeepAlive = false,
        });
    }

    private async Task RegisterHygieneReminder()
    {
        try
        {
            var period = _options.HygieneReminderPeriod;
            await this.RegisterOrUpdateReminder(HygieneReminderName, period, period);
        }
        catch (Exception ex)
        {
            // The stream works without it; only expiry after a silo failure depends on it.
            LogReminderFailed(ex, StreamId);
        }
    }

    private async Task CheckHygiene(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        try
        {
            if (_live.Phase == StreamPhase.Open && now - _live.LastActivityAt >= _options.StreamIdleTimeout)
            {
                await Finish(StreamEndReason.Abandoned, PartialText(), $"No token for {_options.StreamIdleTimeout}.");
            }
            else if (_live.Phase == StreamPhase.Ended && now - _live.EndedAt >= _options.DoneRetention)
            {
                await Clear();
            }
            else if (_live.Phase == StreamPhase.NotStarted)
            {
                await UnregisterHygieneReminder();
            }
        }
        catch (Exception ex)
        {
            LogHygieneFailed(ex, StreamId);
        }
    }

    private async Task Clear()
    {
        try
        {
            await _writes;
        }
        catch
        {
            // A failed end write was reported to its caller; the state is cleared either way.
        }

        if (_storedVersionUnknown)
        {
            await Reconcile(settled: true, change: null);
        }

        await _chunks.Clear();
        await _state.ClearStateAsync();
        _everStored = false;
        var threadId = _live.ThreadId;

        _live = new StreamState();
        _history.Restore(0, []);
        _durableThrough = 0;
        _storedSettled = false;
        _publisher?.Stop();
        _publisher = null;
        _hygieneTimer?.Dispose();
        _hygieneTimer = null;

        await UnregisterHygieneReminder();
        await GrainFactory.GetGrain<IThreadGrain>(threadId).StreamCleared(StreamId);
        DeactivateOnIdle();
    }

    private async Task UnregisterHygieneReminder()
    {
        if (await this.GetReminder(HygieneReminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream {StreamId} could not register its hygiene reminder; it expires only while active.")]
    private partial void LogReminderFailed(Exception exception, string streamId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Hygiene check of stream {StreamId} failed; it runs again on the next tick.")]
    private partial void LogHygieneFailed(Exception exception, string streamId);
}
