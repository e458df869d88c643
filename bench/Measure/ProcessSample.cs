namespace ReHome.Bench.Measure;

/// <summary>A process's CPU seconds so far and its memory at one moment.</summary>
internal sealed record ProcessSample(string Name, int Pid, double CpuSeconds, long Rss, long PeakRss);

/// <summary>What a process used over a measured window.</summary>
public sealed record ProcessUsage(string Name, double CpuSeconds, double CpuPercentOfOneCore, double PeakRssMb, double EndRssMb)
{
    internal static ProcessUsage Between(ProcessSample start, ProcessSample end, double seconds) => new(
        start.Name,
        Math.Round(end.CpuSeconds - start.CpuSeconds, 2),
        Math.Round(100 * (end.CpuSeconds - start.CpuSeconds) / seconds, 1),
        Math.Round(end.PeakRss / 1048576.0, 1),
        Math.Round(end.Rss / 1048576.0, 1));
}

internal static class ProcessSamples
{
    public static ProcessSample Sample(this ChildProcess process) =>
        new(process.Name, process.Pid, ProcStats.CpuSeconds(process.Pid), ProcStats.Rss(process.Pid), ProcStats.PeakRss(process.Pid));
}
