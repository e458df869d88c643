namespace ReHome.Grains;

[GrainType("run")]
internal sealed class RunGrain(
    [PersistentState("run", StorageNames.Grains)] IPersistentState<RunState> state) : Grain, IRunGrain
{
    private string RunId => this.GetPrimaryKeyString();

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
            return;
        }

        var (previousThread, previousStatus) = (state.State.ThreadId, state.State.Status);
        state.State.ThreadId = threadId;
        state.State.Streams[streamId] = false;
        state.State.Status = RunStatus.Running;
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception ex) when (ex is not ReHomeException)
        {
            // Not stored: undo it too, so the producer's retry writes it rather than finding it and skipping the write.
            state.State.Streams.Remove(streamId);
            (state.State.ThreadId, state.State.Status) = (previousThread, previousStatus);
            throw new StorageUnavailableException($"Run '{RunId}' could not store its stream '{streamId}'.", ex);
        }

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
        if (state.State.Streams.Values.All(e => e))
        {
            state.State.Status = reason switch
            {
                StreamEndReason.Completed => RunStatus.Completed,
                StreamEndReason.Cancelled => RunStatus.Cancelled,
                _ => RunStatus.Failed,
            };
        }

        await state.WriteStateAsync();
        DeactivateOnIdle();
    }
}
