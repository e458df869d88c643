using System.Diagnostics;

namespace ReHome.Bench.Report;

/// <summary>What the numbers were measured on, and how busy it was when the run began.</summary>
public sealed record MachineInfo(int Cores, double MemoryGb, string Cpu, string LoadAverageAtStart, string Runtime, string Commit)
{
    public static MachineInfo Read()
    {
        var memKb = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        var load = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        return new MachineInfo(Environment.ProcessorCount, Math.Round(long.Parse(memKb) / 1048576.0, 1), cpu, load,
            System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription, GitCommit());
    }

    private static string GitCommit()
    {
        try
        {
            var start = new ProcessStartInfo("git") { ArgumentList = { "-C", Hosting.RepoPaths.Root, "describe", "--always", "--dirty" }, RedirectStandardOutput = true };
            using var git = Process.Start(start)!;
            var text = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return text;
        }
        catch (Exception)
        {
            return "unknown";
        }
    }
}
