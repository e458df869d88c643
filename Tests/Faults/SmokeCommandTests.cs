using System.Diagnostics;
using ReHome.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReHome.Tests.Faults;

/// <summary>The smoke command as an operator runs it, against the process cluster.</summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class SmokeCommandTests(ProcessClusterFixture fixture, ITestOutputHelper output)
{
    [SkippableFact]
    public async Task Smoke_command_passes_every_check_with_concurrency_and_exits_zero()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        await fixture.EnsureHealthy();
        var thread = "smoke-" + Guid.NewGuid().ToString("N")[..8];

        var (exit, lines) = await Run(thread, "run-1", "--concurrency", "3", "--tokens", "30");

        Assert.Equal(0, exit);
        Assert.DoesNotContain(lines, l => l.Contains("FAIL"));
        Assert.Contains("PASS  3 of 3 smoke streams passed", lines);
        Assert.Equal(3, lines.Count(l => l.Contains("a second end is idempotent")));
        Assert.Equal(3, lines.Count(l => l.Contains("viewer got 30 tokens in order and done with the full text")));
    }

    [SkippableFact]
    public async Task Smoke_command_fails_with_a_clear_line_and_exit_1_when_the_stream_already_ended()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        await fixture.EnsureHealthy();
        var thread = "smoke-" + Guid.NewGuid().ToString("N")[..8];
        var stream = "smoke-s-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(0, (await Run(thread, "run-1", "--stream-id", stream, "--tokens", "3")).Exit);

        var (exit, lines) = await Run(thread, "run-1", "--stream-id", stream, "--tokens", "3");

        Assert.Equal(1, exit);
        Assert.Contains(lines, l => l.StartsWith("PASS  thread " + thread + " exists", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("FAIL  stream " + stream + " already has 3 tokens", StringComparison.Ordinal));
    }

    private async Task<(int Exit, string[] Lines)> Run(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { BuiltApps.Smoke, "--redis", fixture.Redis.ConnectionString, "--signing-key", fixture.SigningKey, "--cluster-id", fixture.ClusterId }
            .Concat(fixture.GatewayUrls.SelectMany(u => new[] { "--gateway", u.ToString() })).Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
        var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        output.WriteLine(string.Join(Environment.NewLine, lines));
        if (await stderr is { Length: > 0 } errors)
        {
            output.WriteLine("stderr: " + errors);
        }

        return (process.ExitCode, lines);
    }
}
