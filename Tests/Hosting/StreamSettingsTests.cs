using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ReHome.Grains;
using ReHome.Silo;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Hosting;

/// <summary>The silo as the Silo program and the embedded gateway build it (<see cref="SiloHostingExtensions.AddReHomeSilo"/>).</summary>
public sealed class StreamSettingsTests
{
    [Theory]
    [InlineData("Streams:HygieneReminderPeriod")]
    [InlineData("Streams:RetentionCheckPeriod")]
    public async Task A_reminder_period_below_the_Orleans_minimum_stops_the_silo_from_starting_and_names_the_setting(string setting)
    {
        using var host = Silo((setting, "00:00:30"));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains($"{setting} is 00:00:30", error.Message);
        Assert.Contains("minimum reminder period of 00:01:00", error.Message);
    }

    [Theory]
    [InlineData("Streams:CheckpointInterval", "00:00:00")]
    [InlineData("Streams:CheckpointInterval", "-00:00:00.001")]
    [InlineData("Streams:StreamIdleTimeout", "00:00:00")]
    [InlineData("Streams:DoneRetention", "-00:01:00")]
    [InlineData("Streams:ThreadRetention", "00:00:00")]
    [InlineData("Streams:RunRetention", "-1.00:00:00")]
    public async Task A_period_that_is_not_positive_stops_the_silo_from_starting_and_names_the_setting(string setting, string value)
    {
        using var host = Silo((setting, value));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains($"{setting} is {TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture)}; it must be positive", error.Message);
    }

    [Theory]
    [InlineData("Streams:MaxTokensPerSecond", "0")]
    [InlineData("Streams:MaxTokensPerSecond", "NaN")]
    [InlineData("Streams:MaxTokensPerSecond", "Infinity")]
    [InlineData("Streams:TokenBurst", "0")]
    [InlineData("Streams:MaxTokensPerAppend", "-1")]
    public async Task A_token_rate_that_could_never_pass_a_token_stops_the_silo_from_starting_and_names_the_settings(string setting, string value)
    {
        using var host = Silo((setting, value));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Streams:MaxTokensPerSecond, TokenBurst and MaxTokensPerAppend are ", error.Message);
    }

    [Theory]
    [InlineData("Streams:HygieneReminderPeriod")]
    [InlineData("Streams:RetentionCheckPeriod")]
    [InlineData("Streams:StreamIdleTimeout")]
    [InlineData("Streams:CheckpointInterval")]
    public async Task A_wait_longer_than_a_timer_or_reminder_can_take_stops_the_silo_from_starting_and_names_the_setting(string setting)
    {
        using var host = Silo((setting, "60.00:00:00"));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains($"{setting} is 60.00:00:00", error.Message);
        Assert.Contains("must be at most 30 days", error.Message);
    }

    [Fact]
    public void The_Orleans_minimum_itself_is_accepted()
    {
        using var host = Silo(("Streams:HygieneReminderPeriod", "00:01:00"), ("Streams:RetentionCheckPeriod", "00:01:00"));

        var options = host.Services.GetRequiredService<IOptions<StreamOptions>>().Value;
        Assert.Equal(TimeSpan.FromMinutes(1), options.HygieneReminderPeriod);
        Assert.Equal(TimeSpan.FromMinutes(1), options.RetentionCheckPeriod);
    }

    [Fact]
    public void A_shorter_period_is_accepted_where_the_Orleans_minimum_is_set_shorter()
    {
        using var host = Silo(("Streams:RetentionCheckPeriod", "00:00:01"), ("Reminders:MinimumReminderPeriod", "00:00:01"));

        Assert.Equal(TimeSpan.FromSeconds(1), host.Services.GetRequiredService<IOptions<StreamOptions>>().Value.RetentionCheckPeriod);
    }

    [Theory]
    [InlineData("00:00:01.500")]
    [InlineData("-00:00:01")]
    [InlineData("31.00:00:00")]
    public async Task A_tombstone_retention_redis_cannot_expire_stops_the_silo_from_starting_and_names_the_setting(string retention)
    {
        using var host = Silo(("Streams:TombstoneRetention", retention));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Streams:TombstoneRetention", error.Message);
        Assert.Contains("whole seconds", error.Message);
    }

    private static IHost Silo(params (string Key, string Value)[] settings)
    {
        var builder = Host.CreateApplicationBuilder();
        var configuration = new Dictionary<string, string?>
        {
            ["Silo:Port"] = TestPorts.Next().ToString(),
            ["Silo:GatewayPort"] = TestPorts.Next().ToString(),
        };
        foreach (var (key, value) in settings)
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        builder.AddReHomeSilo();
        return builder.Build();
    }
}
