using System.Diagnostics;
using ReHome.Bench.Hosting;

namespace ReHome.Bench.Measure;

/// <summary>
/// With <c>--profile silo,gateway</c>, records a CPU profile of those processes over the measured window and writes
/// its top functions next to the results. <c>--profiler perf</c> (default) samples on-CPU stacks with Linux perf,
/// the processes started with <c>DOTNET_PerfMapEnabled=1</c> so JIT-compiled frames have names;
/// <c>--profiler trace</c> uses dotnet-trace's thread-time sampling (wall clock, waits included);
/// <c>--profiler alloc</c> records where the processes allocate (<see cref="AllocationProfile"/>).
/// </summary>
internal sealed class Profiler(IReadOnlySet<string> names, string kind, string directory)
{
    private readonly List<(Process Recorder, Task<string> Output, string File)> _running = [];
    private readonly List<(Task Recording, string File)> _allocations = [];

    public bool Enabled => names.Count > 0;

    /// <summary>The run's folder, where recordings and snapshots go beside the report.</summary>
    public string Directory => directory;

    /// <summary>Settings the profiled processes need from their start.</summary>
    public IEnumerable<KeyValuePair<string, string>> Env =>
        Enabled && kind == "perf" ? [new("DOTNET_PerfMapEnabled", "1"), new("DOTNET_EnableWriteXorExecute", "0")] : [];

    public void Start(ITarget target, double seconds)
    {
        foreach (var process in target.Processes.Where(p => names.Contains(p.Name) || names.Contains("all")))
        {
            var extension = kind switch { "perf" => "perf.data", "alloc" => "alloc.nettrace", _ => "nettrace" };
            var file = Path.Combine(directory, $"{target.Name}-{process.Name}-{DateTime.UtcNow:HHmmss}.{extension}");
            if (kind == "alloc")
            {
                _allocations.Add((AllocationProfile.Record(process.Pid, seconds, file), file));
                continue;
            }

            var start = kind == "perf"
                ? new ProcessStartInfo("perf")
                {
                    ArgumentList = { "record", "-e", "cpu-clock", "-F", "999", "-g", "-p", process.Pid.ToString(), "-o", file, "--", "sleep", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                }
                : new ProcessStartInfo(DotnetTrace())
                {
                    ArgumentList = { "collect", "-p", process.Pid.ToString(), "--profile", "dotnet-sampled-thread-time", "--duration", TimeSpan.FromSeconds(seconds).ToString(@"hh\:mm\:ss"), "-o", file },
                };
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            start.RedirectStandardInput = true;
            if (Process.Start(start) is { } recorder)
            {
                // Read as it comes: a recorder whose output pipe fills stops recording.
                _running.Add((recorder, ReadAll(recorder), file));
            }
        }
    }

    /// <summary>Waits for the recordings and writes each one's top functions (or allocation sites), by own time and with callees.</summary>
    public async Task Finish()
    {
        foreach (var (recording, file) in _allocations)
        {
            await recording;
            AllocationProfile.Report(file);
        }

        _allocations.Clear();
        foreach (var (recorder, output, file) in _running)
        {
            await recorder.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
            var log = await output;
            await File.WriteAllTextAsync(file + ".log", log);
            if (recorder.ExitCode != 0)
            {
                Console.WriteLine($"   profiler for {Path.GetFileName(file)} exited with code {recorder.ExitCode}; its output is in {Path.GetFileName(file)}.log");
            }

            foreach (var inclusive in new[] { false, true })
            {
                var report = kind == "perf"
                    ? new ProcessStartInfo("perf")
                    {
                        ArgumentList = { "report", "-i", file, "--stdio", "--sort", "dso,symbol", inclusive ? "--children" : "--no-children", "-g", "none", "--percent-limit", "0.3" },
                    }
                    : new ProcessStartInfo(DotnetTrace()) { ArgumentList = { "report", file, "topN", "-n", "60" } };
                if (inclusive && kind != "perf")
                {
                    report.ArgumentList.Add("--inclusive");
                }

                report.RedirectStandardOutput = true;
                report.RedirectStandardError = true;
                using var process = Process.Start(report)!;
                var errors = process.StandardError.ReadToEndAsync();
                var text = await process.StandardOutput.ReadToEndAsync();
                await process.WaitForExitAsync();
                await errors;
                await File.WriteAllTextAsync(file + (inclusive ? ".inclusive.txt" : ".self.txt"), text);
            }
        }

        _running.Clear();
    }

    private static async Task<string> ReadAll(Process process)
    {
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        return await output + await errors;
    }

    private static string DotnetTrace()
    {
        var home = Environment.GetEnvironmentVariable("HOME") ?? "/root";
        var path = Path.Combine(home, ".dotnet", "tools", "dotnet-trace");
        return File.Exists(path) ? path : "dotnet-trace";
    }
}
