using Orleans.Runtime;

namespace ReHome.Grains;

/// <summary>
/// The durable wake-up that lets a thread or run delete itself once it has been left alone for its retention:
/// first when the retention would end with no further activity, then every
/// <see cref="StreamOptions.RetentionCheckPeriod"/>, each tick checking the stored time of the last activity. Most
/// activity does not touch the reminder; what schedules it (a thread's configure, a run's stream start) writes it once.
/// </summary>
internal static class RetentionReminder
{
    public const string Name = "retention";

    /// <summary>Orleans timers and reminders take at most about 49 days at once; a longer retention is checked again later.</summary>
    private static readonly TimeSpan MaxDue = TimeSpan.FromDays(45);

    public static Task Schedule(IGrainBase grain, TimeSpan retention, TimeSpan checkPeriod) =>
        grain.RegisterOrUpdateReminder(Name, retention < MaxDue ? retention : MaxDue, checkPeriod);

    public static async Task Cancel(IGrainBase grain)
    {
        if (await grain.GetReminder(Name) is { } reminder)
        {
            await grain.UnregisterReminder(reminder);
        }
    }

    public static bool Expired(DateTimeOffset lastActivityAt, TimeSpan retention, DateTimeOffset now) => now - lastActivityAt >= retention;
}
