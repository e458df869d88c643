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
    [Fact]
    public async Task A_hygiene_reminder_period_below_the_Orleans_minimum_stops_the_silo_from_starting_and_names_the_setting()
    {
        using var host = Silo(("Streams:HygieneReminderPeriod", "00:00:30"));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Streams:HygieneReminderPeriod", error.Message);
        Assert.Contains("00:00:30", error.Message);
        Assert.Contains("minimum reminder period of 00:01:00", error.Message);
    }

    [Fact]
    public void The_Orleans_minimum_itself_is_accepted()
    {
        using var host = Silo(("Streams:HygieneReminderPeriod", "00:01:00"));

        Assert.Equal(TimeSpan.FromMinutes(1), host.Services.GetRequiredService<IOptions<StreamOptions>>().Value.HygieneReminderPeriod);
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

    private static IHost Silo((string Key, string Value) setting)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [setting.Key] = setting.Value,
            ["Silo:Port"] = RedisServer.FreePort().ToString(),
            ["Silo:GatewayPort"] = RedisServer.FreePort().ToString(),
        });
        builder.AddReHomeSilo();
        return builder.Build();
    }
}
