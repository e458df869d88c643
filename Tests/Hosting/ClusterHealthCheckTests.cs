using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Configuration;
using ReHome.Gateway;
using ReHome.Grains;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Hosting;

/// <summary>A cluster whose silos are of a release before the readiness probe grain (a rollback of the silos).</summary>
public sealed class SilosWithoutTheProbeFixture : ClusterFixture
{
    protected override short SiloCount => 1;

    protected override void ConfigureSiloServices(IServiceCollection services) =>
        services.PostConfigure<GrainTypeOptions>(o => o.Classes.Remove(typeof(ClusterProbeGrain)));
}

public sealed class ClusterHealthCheckTests(SilosWithoutTheProbeFixture fixture) : IClassFixture<SilosWithoutTheProbeFixture>
{
    [Fact]
    public async Task A_gateway_whose_silos_have_no_probe_grain_still_finds_them_active()
    {
        var check = new ClusterHealthCheck(fixture.Client, NullLogger<ClusterHealthCheck>.Instance);

        var result = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal("1 active silo(s).", result.Description);
    }
}
