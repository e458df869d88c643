using Orleans.Storage;

namespace ReHome.Grains;

/// <summary>
/// Writes of a thread's or run's state. A failed write leaves the activation unsure of what storage holds: one that
/// timed out in a Redis hang is applied when Redis resumes, which moves the stored version past the one this
/// activation knows, and every later write of it would conflict for as long as it lives. So the activation steps
/// aside once the current call ends, and the caller's retry reaches one that read storage. (A stream grain
/// reconciles instead: <c>StreamGrain.Storage</c>.)
/// </summary>
internal static class StateWrites
{
    public static async Task WriteOrStepAside<TState>(this IPersistentState<TState> state, IGrainBase grain)
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            grain.DeactivateOnIdle();
            throw;
        }
    }

    /// <summary>
    /// Deletes the state. A delete refused for its version was most likely this activation's own earlier delete, timed
    /// out and applied late: every retry with the old version would be refused for good. So it reads what is there now
    /// and deletes that, or nothing when it is gone. Only for state that is being retired whatever it holds.
    /// </summary>
    public static async Task ClearWhateverIsStored<TState>(this IPersistentState<TState> state)
    {
        try
        {
            await state.ClearStateAsync();
        }
        catch (InconsistentStateException)
        {
            await state.ReadStateAsync();
            if (state.RecordExists)
            {
                await state.ClearStateAsync();
            }
        }
    }
}
