using ReHome.Tests.Infrastructure;
using ReHome.Tooling;

namespace ReHome.Tests.Hosting;

/// <summary>The Silo program is one silo of a Redis cluster: alone and in memory, it would be ready and unreachable.</summary>
public sealed class SiloWithoutRedisTests
{
    [Fact]
    public async Task A_silo_without_Redis_refuses_to_start_and_names_the_setting()
    {
        var logs = Directory.CreateTempSubdirectory("rehome-silo-").FullName;
        var url = $"http://127.0.0.1:{TestPorts.Next()}";
        await using var silo = ChildProcess.Dotnet("silo", BuiltApps.Silo, new Dictionary<string, string>
        {
            // Empty is unset; a shell that sourced the deploy env file would otherwise pass its Redis on.
            ["Redis__ConnectionString"] = "",
            ["Urls"] = url,
            ["Silo__Port"] = TestPorts.Next().ToString(),
            ["Silo__GatewayPort"] = TestPorts.Next().ToString(),
        }, logs, httpBase: url).Start();

        await Eventually.True(() => Task.FromResult(!silo.IsRunning), TimeSpan.FromSeconds(60), "the silo exits");

        Assert.Equal(2, silo.ExitCode);
        Assert.Contains("Redis:ConnectionString", await File.ReadAllTextAsync(silo.LogFile));
    }
}
