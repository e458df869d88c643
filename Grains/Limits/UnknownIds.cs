namespace ReHome.Grains;

/// <summary>
/// A thread or stream id nobody configured or started has nothing to keep, but a viewer (often one probing ids) can
/// activate its grain. Such an activation leaves memory this long after it was first asked, rather than staying for
/// the collection age; callers asking meanwhile, at once or in a burst, share it.
/// </summary>
internal static class UnknownIds
{
    public static readonly TimeSpan Linger = TimeSpan.FromSeconds(2);

    /// <summary>Starts the linger once; when it ends, the grain deactivates if <paramref name="stillUnknown"/> says so.</summary>
    public static IGrainTimer Forget(Grain grain, Func<bool> stillUnknown, Action deactivate) =>
        grain.RegisterGrainTimer(_ =>
        {
            if (stillUnknown())
            {
                deactivate();
            }

            return Task.CompletedTask;
        }, new GrainTimerCreationOptions(Linger, Timeout.InfiniteTimeSpan) { Interleave = true, KeepAlive = false });
}
