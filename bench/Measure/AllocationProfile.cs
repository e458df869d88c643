using System.Diagnostics.Tracing;
using System.Text;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace ReHome.Bench.Measure;

/// <summary>
/// Where a process allocates: the runtime's allocation ticks (one per ~100 KB allocated, with the type and the
/// stack of the allocation that crossed it) over an EventPipe session, summed by type and by every frame on the
/// stack. A frame's share is of all sampled bytes, callees included, so shares nest.
/// </summary>
internal static class AllocationProfile
{
    private const int TypesShown = 40;
    private const int FramesShown = 120;
    private const int StackDepth = 48;

    public static async Task Record(int pid, double seconds, string file)
    {
        // The GC keyword at verbose level gives the allocation ticks; loader and JIT events let the stacks resolve
        // to method names, with the rundown at the session's end for methods compiled before it.
        var runtime = new EventPipeProvider(ClrTraceEventParser.ProviderName, EventLevel.Verbose, (long)(
            ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.Stack | ClrTraceEventParser.Keywords.Loader | ClrTraceEventParser.Keywords.Jit));
        using var session = new DiagnosticsClient(pid).StartEventPipeSession(runtime, requestRundown: true);
        await using var output = File.Create(file);
        var copy = session.EventStream.CopyToAsync(output);
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        await session.StopAsync(CancellationToken.None);
        await copy;
    }

    /// <summary>Writes <paramref name="file"/>.alloc.txt: sampled bytes by type, then by frame.</summary>
    public static void Report(string file)
    {
        using var log = new TraceLog(TraceLog.CreateFromEventPipeDataFile(file));
        var byType = new Dictionary<string, long>();
        var byFrame = new Dictionary<string, long>();
        var frames = new HashSet<string>();
        long total = 0;
        foreach (var data in log.Events)
        {
            if (data is not GCAllocationTickTraceData tick)
            {
                continue;
            }

            var bytes = tick.AllocationAmount64;
            total += bytes;
            byType[tick.TypeName] = byType.GetValueOrDefault(tick.TypeName) + bytes;
            frames.Clear();
            var depth = 0;
            for (var frame = data.CallStack(); frame is not null && depth < StackDepth; frame = frame.Caller, depth++)
            {
                // A recursive method counts once per sample.
                if (frame.CodeAddress.FullMethodName is { Length: > 0 } method && frames.Add(method))
                {
                    byFrame[method] = byFrame.GetValueOrDefault(method) + bytes;
                }
            }
        }

        var text = new StringBuilder();
        text.AppendLine($"{total / (1024.0 * 1024):F0} MB sampled (allocation ticks, ~100 KB each)");
        text.AppendLine().AppendLine("by type:");
        Append(text, byType, total, TypesShown);
        text.AppendLine().AppendLine("by frame, callees included:");
        Append(text, byFrame, total, FramesShown);
        File.WriteAllText(file + ".alloc.txt", text.ToString());
    }

    private static void Append(StringBuilder text, Dictionary<string, long> bytes, long total, int shown)
    {
        foreach (var (name, value) in bytes.OrderByDescending(e => e.Value).Take(shown))
        {
            text.AppendLine($"{100.0 * value / Math.Max(1, total),6:F1} %  {name}");
        }
    }
}
