using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using ReHome.Bench.Hosting;

namespace ReHome.Bench.Measure;

/// <summary>
/// Managed heap size of a .NET process after a full, blocking GC. The GC is induced over EventPipe (the
/// runtime provider's GCHeapCollect keyword, as dotnet-gcdump does), and the heap is read from the process's own
/// Prometheus endpoint (<c>dotnet_gc_last_collection_heap_size_bytes</c>, summed over generations).
/// </summary>
internal static class GcProbe
{
    private const long GcKeyword = 0x1;
    private const long GcHeapCollectKeyword = 0x800000;

    /// <summary>
    /// With <c>--gcdump</c>: a heap snapshot by dotnet-gcdump (a dotnet tool) and its per-type summary, next to the
    /// report, to see what the per-connection or per-stream bytes are made of.
    /// </summary>
    public static async Task Dump(ChildProcess process, string directory, string name)
    {
        var home = Environment.GetEnvironmentVariable("HOME") ?? "/root";
        var tool = Path.Combine(home, ".dotnet", "tools", "dotnet-gcdump");
        var file = Path.Combine(directory, name + ".gcdump");
        foreach (var args in new[] { new[] { "collect", "-p", process.Pid.ToString(), "-o", file }, new[] { "report", file } })
        {
            var start = new System.Diagnostics.ProcessStartInfo(File.Exists(tool) ? tool : "dotnet-gcdump") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            using var run = System.Diagnostics.Process.Start(start)!;
            var output = await run.StandardOutput.ReadToEndAsync();
            await run.WaitForExitAsync();
            if (args[0] == "report")
            {
                await File.WriteAllTextAsync(file + ".txt", output);
            }
        }
    }

    public static async Task<long> HeapAfterFullGc(ChildProcess process) => (await HeapSizesAfterFullGc(process)).Size;

    /// <summary>
    /// The managed heap after a forced full GC: its size, and the bytes of live objects in it (the size less the free
    /// space between them, which depends on whether that GC compacted and which the next allocations fill).
    /// </summary>
    public static async Task<(long Size, long Live)> HeapSizesAfterFullGc(ChildProcess process)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var before = await Read(http, process);
        var client = new DiagnosticsClient(process.Pid);
        using (var session = client.StartEventPipeSession(
            new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, GcKeyword | GcHeapCollectKeyword),
            requestRundown: false))
        {
            // Drain the session so the runtime does not block on a full buffer.
            var drain = Task.Run(() => session.EventStream.CopyTo(Stream.Null));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while ((await Read(http, process)).Gen2 <= before.Gen2 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            session.Stop();
            await drain.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        }

        var after = await Read(http, process);
        if (after.Gen2 <= before.Gen2)
        {
            throw new InvalidOperationException($"No full GC happened in {process.Name} within 20 s.");
        }

        return (after.Heap, after.Heap - after.Fragmentation);
    }

    /// <summary>Bytes a process has allocated since it started.</summary>
    public const string AllocatedBytesMetric = "dotnet_gc_heap_total_allocated_bytes_total";

    /// <summary>Bytes the process has allocated since it started, or null.</summary>
    public static Task<long?> AllocatedBytes(ChildProcess process) => MetricsScrape.Total(process, AllocatedBytesMetric);

    private static async Task<(long Gen2, long Heap, long Fragmentation)> Read(HttpClient http, ChildProcess process)
    {
        var text = await http.GetStringAsync(process.HttpBase + "/metrics");
        long gen2 = 0, heap = 0, fragmentation = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("dotnet_gc_collections_total{", StringComparison.Ordinal) && line.Contains("\"gen2\""))
            {
                gen2 = (long)MetricsScrape.Value(line);
            }
            else if (line.StartsWith("dotnet_gc_last_collection_heap_size_bytes{", StringComparison.Ordinal))
            {
                heap += (long)MetricsScrape.Value(line);
            }
            else if (line.StartsWith("dotnet_gc_last_collection_heap_fragmentation_size_bytes{", StringComparison.Ordinal))
            {
                fragmentation += (long)MetricsScrape.Value(line);
            }
        }

        return (gen2, heap, fragmentation);
    }
}
