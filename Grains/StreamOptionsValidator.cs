using Microsoft.Extensions.Options;
using Orleans.Hosting;

namespace ReHome.Grains;

/// <summary>
/// Checks the <see cref="StreamOptions"/> that depend on the silo's Orleans settings. Orleans refuses a reminder whose
/// period is below its minimum (<see cref="ReminderOptions.MinimumReminderPeriod"/>, one minute by default) only when a
/// stream registers it, and a stream goes on without: then nothing expires the streams of a silo that died. So such a
/// period is refused when the silo starts, naming the setting.
/// </summary>
public sealed class StreamOptionsValidator(IOptions<ReminderOptions> reminders) : IValidateOptions<StreamOptions>
{
    public ValidateOptionsResult Validate(string? name, StreamOptions options)
    {
        var minimum = reminders.Value.MinimumReminderPeriod;
        return options.HygieneReminderPeriod < minimum
            ? ValidateOptionsResult.Fail(
                $"{StreamOptions.Section}:{nameof(StreamOptions.HygieneReminderPeriod)} is {options.HygieneReminderPeriod}, below " +
                $"Orleans' minimum reminder period of {minimum}: no hygiene reminder could be registered, and the streams of a " +
                $"silo that died would never expire. Set it to {minimum} or more.")
            : ValidateOptionsResult.Success;
    }
}
