using System.Diagnostics;
using ReHome.Bench.Hosting;

namespace ReHome.Bench.Measure;

/// <summary>
/// With <c>--profile silo,gateway</c>, records a CPU-sampling trace (dotnet-trace, installed as a dotnet tool) of
/// those processes over the measured window, and writes its top methods next to the results.
/// </summary>
internal sealed class Profiler(IReadOnlySet<string> names, string directory)
{
    private readonly List<(Process Trace, string File)> _running = [];

    public void Start(ITarget target, double seconds)
    {
        foreach (var process in target.Processes.Where(p => names.Contains(p.Name) && p.IsDotnet))
        {
            var file = Path.Combine(directory, $"{target.Name}-{process.Name}-{DateTime.UtcNow:HHmmss}.nettrace");
            var start = new ProcessStartInfo(Tool())
            {
                ArgumentList = { "collect", "-p", process.Pid.ToString(), "--profile", "dotnet-sampled-thread-time", "--duration", TimeSpan.FromSeconds(seconds).ToString(@"hh\:mm\:ss"), "-o", file },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
            };
            if (Process.Start(start) is { } trace)
            {
                _running.Add((trace, file));
            }
        }
    }

    /// <summary>Waits for the traces and writes each one's top methods (by exclusive and inclusive samples).</summary>
    public async Task Finish()
    {
        foreach (var (trace, file) in _running)
        {
            await trace.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            foreach (var inclusive in new[] { false, true })
            {
                var report = new ProcessStartInfo(Tool())
                {
                    ArgumentList = { "report", file, "topN", "-n", "40" },
                    RedirectStandardOutput = true,
                };
                if (inclusive)
                {
                    report.ArgumentList.Add("--inclusive");
                }

                using var process = Process.Start(report)!;
                var text = await process.StandardOutput.ReadToEndAsync();
                await process.WaitForExitAsync();
                await File.WriteAllTextAsync(Path.ChangeExtension(file, inclusive ? ".inclusive.txt" : ".exclusive.txt"), text);
            }
        }

        _running.Clear();
    }

    private static string Tool()
    {
        var home = Environment.GetEnvironmentVariable("HOME") ?? "/root";
        var path = Path.Combine(home, ".dotnet", "tools", "dotnet-trace");
        return File.Exists(path) ? path : "dotnet-trace";
    }
}
