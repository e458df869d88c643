using System.Diagnostics;

namespace ReHome.Tests.Infrastructure;

/// <summary>Runs a command line to its end, as a person types it, and returns what it printed.</summary>
public static class Command
{
    /// <summary>The dotnet host running the tests (the SDK sets DOTNET_HOST_PATH), else dotnet from PATH.</summary>
    public static string Dotnet =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <param name="environment">Variables to set; a null value removes the variable.</param>
    public static async Task<(int ExitCode, string Output, string Errors)> Run(
        string program,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null,
        TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? GatewayFixture.SolutionDirectory(),
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output, await errors);
    }

    /// <summary>Runs a tool (npm, esbuild, tsc) in <paramref name="directory"/> and returns its output; a non-zero exit fails with all it printed.</summary>
    public static async Task<string> RunChecked(string directory, string program, params string[] arguments)
    {
        var (exit, output, errors) = await Run(program, arguments, workingDirectory: directory, timeout: TimeSpan.FromMinutes(3));
        return exit == 0 ? output + errors
            : throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {exit} in {directory}:{Environment.NewLine}{output}{errors}");
    }
}
