using System.Diagnostics;

namespace ReHome.Tests.Browser;

/// <summary>Runs a command line tool (npm, esbuild, tsc) to completion, with a deadline; its output goes in the failure message.</summary>
public static class Command
{
    public static async Task<string> Run(string directory, string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} took over 3 minutes.");
        }

        var all = await output + await errors;
        return process.ExitCode == 0 ? all
            : throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode} in {directory}:{Environment.NewLine}{all}");
    }
}
