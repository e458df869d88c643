using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;

namespace ReHome.Grains;

/// <summary>
/// Checks the <see cref="StreamOptions"/> that depend on the silo's Orleans settings or on its storage, when the silo
/// starts, naming the setting. Orleans refuses a reminder whose period is below its minimum
/// (<see cref="ReminderOptions.MinimumReminderPeriod"/>, one minute by default) only when a grain registers it, and the
/// grain goes on without: then nothing would expire the streams of a silo that died (hygiene), nor delete idle threads
/// and runs (retention). Redis expires tombstones by the whole second.
/// </summary>
public sealed class StreamOptionsValidator(IOptions<ReminderOptions> reminders) : IValidateOptions<StreamOptions>
{
    /// <summary>The longest tombstone retention: a grain timer cannot wait much longer (about 49 days).</summary>
    public static readonly TimeSpan MaxTombstoneRetention = TimeSpan.FromDays(30);

    /// <summary>
    /// The longest wait a setting that times a timer or a reminder may ask for: .NET timers and Orleans reminders
    /// refuse more than about 49 days, and a refused reminder or timer would only be logged.
    /// </summary>
    public static readonly TimeSpan MaxTimerWait = TimeSpan.FromDays(30);

    public ValidateOptionsResult Validate(string? name, StreamOptions options)
    {
        var failures = new List<string>();
        var minimum = reminders.Value.MinimumReminderPeriod;
        AtLeastMinimum(nameof(StreamOptions.HygieneReminderPeriod), options.HygieneReminderPeriod, "the streams of a silo that died would never expire");
        AtLeastMinimum(nameof(StreamOptions.RetentionCheckPeriod), options.RetentionCheckPeriod, "threads and runs would never be deleted");
        AtMostTimerWait(nameof(StreamOptions.HygieneReminderPeriod), options.HygieneReminderPeriod);
        AtMostTimerWait(nameof(StreamOptions.RetentionCheckPeriod), options.RetentionCheckPeriod);
        AtMostTimerWait(nameof(StreamOptions.StreamIdleTimeout), options.StreamIdleTimeout);
        AtMostTimerWait(nameof(StreamOptions.CheckpointInterval), options.CheckpointInterval);

        Positive(nameof(StreamOptions.CheckpointInterval), options.CheckpointInterval, "write-behind would stop, and a crash could lose a stream back to its start");
        Positive(nameof(StreamOptions.StreamIdleTimeout), options.StreamIdleTimeout, "every stream would be ended as abandoned at once");
        Positive(nameof(StreamOptions.DoneRetention), options.DoneRetention, "an ended stream would be cleared before late viewers could read it");
        Positive(nameof(StreamOptions.ThreadRetention), options.ThreadRetention, "threads would be deleted at once");
        Positive(nameof(StreamOptions.RunRetention), options.RunRetention, "runs would be deleted at once");
        Positive(nameof(StreamOptions.RelayIdleProbe), options.RelayIdleProbe, "relays would keep the subscriptions of gateways that died");
        AtMostTimerWait(nameof(StreamOptions.RelayIdleProbe), options.RelayIdleProbe);

        if (!double.IsFinite(options.MaxTokensPerSecond) || options.MaxTokensPerSecond <= 0 || options.TokenBurst < 1 || options.MaxTokensPerAppend < 1)
        {
            failures.Add(
                $"{StreamOptions.Section}:{nameof(StreamOptions.MaxTokensPerSecond)}, {nameof(StreamOptions.TokenBurst)} and {nameof(StreamOptions.MaxTokensPerAppend)} " +
                $"are {options.MaxTokensPerSecond}, {options.TokenBurst} and {options.MaxTokensPerAppend}; each must be a positive number, or no token could be appended.");
        }

        var tombstone = options.TombstoneRetention;
        if (tombstone < TimeSpan.Zero || tombstone > MaxTombstoneRetention || tombstone.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            failures.Add(
                $"{StreamOptions.Section}:{nameof(StreamOptions.TombstoneRetention)} is {tombstone}; it must be whole seconds " +
                $"(Redis expires tombstones by the second) from 0 (no tombstones) to {MaxTombstoneRetention.TotalDays:0} days.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Positive(string setting, TimeSpan value, string consequence)
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"{StreamOptions.Section}:{setting} is {value}; it must be positive, or {consequence}.");
            }
        }

        void AtMostTimerWait(string setting, TimeSpan value)
        {
            if (value > MaxTimerWait)
            {
                failures.Add(
                    $"{StreamOptions.Section}:{setting} is {value}; it times a timer or a reminder, which cannot wait longer than " +
                    $"about 49 days, so it must be at most {MaxTimerWait.TotalDays:0} days.");
            }
        }

        void AtLeastMinimum(string setting, TimeSpan period, string consequence)
        {
            if (period < minimum)
            {
                failures.Add(
                    $"{StreamOptions.Section}:{setting} is {period}, below Orleans' minimum reminder period of {minimum}: " +
                    $"no reminder could be registered, and {consequence}. Set it to {minimum} or more.");
            }
        }
    }
}
