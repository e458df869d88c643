using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ReHome.Silo;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Operations;

/// <summary>The dashboard's settings as a silo with a dashboard password builds them.</summary>
public sealed class DashboardSettingsTests
{
    [Theory]
    [InlineData(null, 5000)]
    [InlineData("00:00:01", 1000)]
    [InlineData("00:00:30", 30000)]
    public void Dashboard_SampleInterval_is_how_often_the_dashboard_samples(string? interval, int milliseconds)
    {
        using var host = Silo(interval);

        var options = host.Services.GetRequiredService<IOptions<Orleans.Dashboard.DashboardOptions>>().Value;

        Assert.Equal(milliseconds, options.CounterUpdateIntervalMs);
    }

    [Theory]
    [InlineData("00:00:00.500")]
    [InlineData("00:00:00")]
    [InlineData("00:10:01")]
    public async Task A_sample_interval_outside_one_second_to_ten_minutes_stops_the_silo_from_starting(string interval)
    {
        using var host = Silo(interval);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("SampleInterval", error.Message);
    }

    private static IHost Silo(string? sampleInterval)
    {
        var builder = Host.CreateApplicationBuilder();
        var settings = new Dictionary<string, string?>
        {
            ["Silo:Port"] = TestPorts.Next().ToString(),
            ["Silo:GatewayPort"] = TestPorts.Next().ToString(),
            ["Dashboard:Password"] = PasswordDashboardFixture.Password,
        };
        if (sampleInterval is not null)
        {
            settings["Dashboard:SampleInterval"] = sampleInterval;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddReHomeSilo();
        return builder.Build();
    }
}
