using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace ReHome.Grains;

/// <summary>
/// A run's thread and status. Deleted <see cref="StreamOptions.RunRetention"/> after its last change (a stream's
/// start or end), by a durable reminder; see <see cref="RetentionReminder"/>.
/// </summary>
[GrainType("run")]
internal sealed partial class RunGrain(
    [PersistentState("run", StorageNames.Grains)] IPersistentState<RunState> state,
    IOptions<StreamOptions> options,
    TimeProvider time,
    ILogger<RunGrain> logger) : Grain, IRunGrain, IRemindable
{
    private string RunId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.RecordExists && state.State.LastActivityAt == default)
        {
            // Stored before runs expired: its retention starts now, stored so that reads alone do not restart it.
            state.State.LastActivityAt = time.GetUtcNow();
            try
            {
                await state.WriteStateAsync();
                await ScheduleRetention();
            }
            catch (Exception ex)
            {
                LogRetentionNotScheduled(ex, RunId);
            }
        }
    }

    public ValueTask<RunInfo?> GetInfo() => ValueTask.FromResult(
        state.State.ThreadId.Length == 0
            ? null
            : new RunInfo(RunId, state.State.ThreadId, state.State.Status, [.. state.State.Streams.Keys]));

    public async Task StreamStarted(string threadId, string streamId)
    {
        if (state.State.ThreadId.Length > 0 && state.State.ThreadId != threadId)
        {
            throw new StreamConflictException($"Run '{RunId}' belongs to thread '{state.State.ThreadId}', not '{threadId}'.");
        }

        if (state.State.Streams.ContainsKey(streamId))
        {
            // A retried start. The first may have stored the run and failed before its reminder was scheduled (its
            // write timed out and was applied late): without the reminder the run is never deleted.
            await ScheduleRetention();
            return;
        }

        var (previousThread, previousStatus, previousActivity) = (state.State.ThreadId, state.State.Status, state.State.LastActivityAt);
        state.State.ThreadId = threadId;
        state.State.Streams[streamId] = false;
        state.State.Status = RunStatus.Running;
        state.State.LastActivityAt = time.GetUtcNow();
        try
        {
            await state.WriteOrStepAside(this);
        }
        catch (Exception ex) when (ex is not ReHomeException)
        {
            // Not stored: undo it too, so the producer's retry writes it rather than finding it and skipping the write.
            state.State.Streams.Remove(streamId);
            (state.State.ThreadId, state.State.Status, state.State.LastActivityAt) = (previousThread, previousStatus, previousActivity);
            throw new StorageUnavailableException($"Run '{RunId}' could not store its stream '{streamId}'.", ex);
        }

        // At each start, not only the first: one that failed to schedule it (logged) leaves no reminder behind.
        await ScheduleRetention();

        // A run is touched when its streams start and end, not while they stream; kept active in between it
        // would cost a whole activation for every open stream. Its state is stored, so the next call reloads it.
        DeactivateOnIdle();
    }

    public async Task StreamEnded(string streamId, StreamEndReason reason)
    {
        if (!state.State.Streams.TryGetValue(streamId, out var ended) || ended)
        {
            return;
        }

        state.State.Streams[streamId] = true;
        state.State.LastActivityAt = time.GetUtcNow();
        if (state.State.Streams.Values.All(e => e))
        {
            state.State.Status = reason switch
            {
                StreamEndReason.Completed => RunStatus.Completed,
                StreamEndReason.Cancelled => RunStatus.Cancelled,
                _ => RunStatus.Failed,
            };
        }

        await state.WriteOrStepAside(this);
        DeactivateOnIdle();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != RetentionReminder.Name)
        {
            return;
        }

        if (state.RecordExists && !RetentionReminder.Expired(state.State.LastActivityAt, options.Value.RunRetention, time.GetUtcNow()))
        {
            DeactivateOnIdle();
            return;
        }

        if (state.RecordExists)
        {
            LogExpired(RunId, state.State.LastActivityAt, state.State.Status);
            await state.ClearWhateverIsStored();
        }

        await RetentionReminder.Cancel(this);
        DeactivateOnIdle();
    }

    private async Task ScheduleRetention()
    {
        try
        {
            await RetentionReminder.Schedule(this, options.Value.RunRetention, options.Value.RetentionCheckPeriod);
        }
        catch (Exception ex)
        {
            // The run works without it; only its deletion depends on it.
            LogRetentionNotScheduled(ex, RunId);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Run {RunId} expired (last change {LastActivityAt:O}, status {Status}); its state is deleted.")]
    private partial void LogExpired(string runId, DateTimeOffset lastActivityAt, RunStatus status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} could not schedule its retention reminder; it is not deleted on time.")]
    private partial void LogRetentionNotScheduled(Exception exception, string runId);
}
