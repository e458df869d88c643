using ReHome.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReHome.Tests.QuickStarts;

/// <summary>
/// The README's producer SDK snippet is <c>examples/dotnet-producer</c>, and that program connects and streams
/// as written: against a real silo process clustered through a real redis-server, with the silo's default ids.
/// </summary>
public sealed class ProducerSdkExampleTests(ITestOutputHelper output)
{
    [Fact]
    public void The_readme_snippet_is_the_compiled_example()
    {
        var program = File.ReadAllText(Path.Combine(GatewayFixture.SolutionDirectory(), "examples", "dotnet-producer", "Program.cs"));
        var region = program.Split("// <producer-sdk>\n")[1].Split("// </producer-sdk>")[0];

        Assert.Equal(region, ReadmeBlocks.Get("producer-sdk"));
    }

    [SkippableFact]
    public async Task The_example_connects_to_a_silo_with_the_silos_defaults_and_streams_an_answer()
    {
        var binary = RedisServer.FindBinary();
        Skip.If(binary is null, "redis-server is not installed (apt-get install redis-server).");
        await using var redis = await RedisServer.Start(binary!);
        var logs = Directory.CreateTempSubdirectory("rehome-example-").FullName;
        var health = $"http://127.0.0.1:{TestPorts.Next()}";
        await using var silo = ChildProcess.Dotnet("silo", BuiltApps.Silo, new Dictionary<string, string>
        {
            ["Redis__ConnectionString"] = redis.ConnectionString,
            ["Silo__Port"] = TestPorts.Next().ToString(),
            ["Silo__GatewayPort"] = TestPorts.Next().ToString(),
            ["Urls"] = health,
        }, logs, httpBase: health).Start();
        await silo.WaitHealthy("/health/ready", TimeSpan.FromSeconds(60));

        var (exit, text, errors) = await Command.Run(Command.Dotnet,
            [BuiltApps.ProducerExample, $"--Redis:ConnectionString={redis.ConnectionString}", "--ThreadId=example-" + Guid.NewGuid().ToString("N")],
            new Dictionary<string, string?> { ["Logging__LogLevel__Default"] = "Warning" });
        output.WriteLine(text + errors);

        Assert.Equal(0, exit);
        Assert.Matches("stream [0-9a-f]+: ended True, again False", text);
        Directory.Delete(logs, recursive: true);
    }
}
