using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;

namespace ReHome.Tests.Infrastructure;

/// <summary>
/// The managed heap of a running ReHome process after a full, blocking GC: the GC is induced over EventPipe (as
/// dotnet-gcdump does) and the heap read from the process's own <c>/metrics</c>.
/// </summary>
public static class HeapProbe
{
    private const long GcKeyword = 0x1;
    private const long GcHeapCollectKeyword = 0x800000;

    public static async Task<long> AfterFullGc(int pid, Uri metricsBase)
    {
        using var http = new HttpClient { BaseAddress = metricsBase, Timeout = TimeSpan.FromSeconds(10) };
        var before = await Read(http);
        var client = new DiagnosticsClient(pid);
        using (var session = client.StartEventPipeSession(
            new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, GcKeyword | GcHeapCollectKeyword),
            requestRundown: false))
        {
            // Drained, so the runtime never blocks on a full session buffer.
            var drain = Task.Run(() => session.EventStream.CopyTo(Stream.Null));
            await Eventually.True(async () => (await Read(http)).Gen2 > before.Gen2, TimeSpan.FromSeconds(20), "a full GC was induced");
            session.Stop();
            await drain.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        }

        return (await Read(http)).Heap;
    }

    private static async Task<(double Gen2, long Heap)> Read(HttpClient http)
    {
        var text = await http.GetStringAsync("/metrics");
        var gen2 = text.Split('\n').Where(l => l.StartsWith("dotnet_gc_collections_total{", StringComparison.Ordinal) && l.Contains("\"gen2\""))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        return (gen2, (long)MetricsText.Total(text, "dotnet_gc_last_collection_heap_size_bytes"));
    }
}
