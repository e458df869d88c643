using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ReHome.Gateway;
using ReHome.Silo;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Hosting;

/// <summary>
/// The deployment files give each process a stop deadline inside its grace period through .NET's own
/// <c>shutdownTimeoutSeconds</c> (<see cref="Operations.DeploymentFilesTests"/>); these check that nothing in ReHome's
/// composition sets the deadline over it.
/// </summary>
public sealed class ShutdownDeadlineTests
{
    private const string Deadline = "shutdownTimeoutSeconds";

    [Theory]
    [InlineData(null)]
    [InlineData("127.0.0.1:1")]
    public async Task A_gateway_embedded_or_a_cluster_client_stops_by_the_configured_deadline(string? redis)
    {
        await using var app = GatewayApp.Create([], builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [Deadline] = "25",
            ["Redis:ConnectionString"] = redis,
            ["Auth:SigningKey"] = GatewayFixture.SigningKey,
            ["Silo:Port"] = TestPorts.Next().ToString(),
            ["Silo:GatewayPort"] = TestPorts.Next().ToString(),
        }));

        Assert.Equal(TimeSpan.FromSeconds(25), app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }

    [Fact]
    public async Task A_silo_stops_by_the_configured_deadline()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [Deadline] = "55",
            ["Redis:ConnectionString"] = "127.0.0.1:1",
        });
        builder.AddReHomeSilo();
        builder.AddServiceDefaults();
        await using var app = builder.Build();

        Assert.Equal(TimeSpan.FromSeconds(55), app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }
}
