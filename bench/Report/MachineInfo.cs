using System.Diagnostics;
using System.Globalization;

namespace ReHome.Bench.Report;

/// <summary>What the numbers were measured on, and how busy it was when the run began.</summary>
public sealed record MachineInfo(int Cores, double MemoryGb, string Cpu, string LoadAverageAtStart, string Runtime, string Commit, LoopbackTcp Loopback)
{
    public static MachineInfo Read()
    {
        var memKb = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        var load = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        return new MachineInfo(Environment.ProcessorCount, Math.Round(long.Parse(memKb) / 1048576.0, 1), cpu, load,
            System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription, GitCommit(), LoopbackTcp.Read());
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

/// <summary>
/// The loopback MTU and the default TCP receive buffer (the middle of <c>net.ipv4.tcp_rmem</c>). Every process of a
/// run talks over loopback. Its 64 KiB MTU makes a sender's segment as large as the window that Linux's default
/// 128 KiB buffer advertises; a connection that carries small messages never grows that window, so a burst leaves
/// the sender waiting on its persist timer, about 60 KB per 200 ms, for seconds (bench/README, "Two silos, or two
/// co-hosted nodes"). A buffer of four MTUs keeps the window at two segments or more.
/// </summary>
public sealed record LoopbackTcp(int Mtu, int[] ReceiveBuffer)
{
    public int ReceiveBufferDefault => ReceiveBuffer[1];

    public bool WindowCanFallBelowSegment => ReceiveBufferDefault < 4 * Mtu;

    public static LoopbackTcp Read() => new(
        int.Parse(File.ReadAllText("/sys/class/net/lo/mtu").Trim(), CultureInfo.InvariantCulture),
        File.ReadAllText("/proc/sys/net/ipv4/tcp_rmem").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .Select(value => int.Parse(value, CultureInfo.InvariantCulture)).ToArray());

    public override string ToString() =>
        $"loopback MTU {Mtu}, TCP receive buffer default {ReceiveBufferDefault}" +
        (WindowCanFallBelowSegment
            ? $" (below 4 × MTU: a connection can stall for seconds; deploy/loopback-tcp.sh raise)"
            : "");
}
