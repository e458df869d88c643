using System.Diagnostics;
using ReHome.Bench.Hosting;
using ReHome.Bench.Load;
using ReHome.Bench.Measure;

namespace ReHome.Bench.Scenarios;

public sealed record ConnectionsResult(
    string Target,
    int Requested,
    int Connected,
    int Failed,
    double ConnectSeconds,
    double HeapDeltaMb,
    double RssDeltaMb,
    double HeapBytesPerConnection,
    double LiveBytesPerConnection,
    double RssBytesPerConnection,
    string? FirstError);

/// <summary>
/// Memory per idle connection: the connection host's managed heap (after a full GC) and RSS, before and after
/// opening N authenticated SignalR WebSocket connections that then sit idle. The heap is reported twice: its size,
/// and its live objects (the size less free space: with the same live objects, the size moved by 5-10 KB per
/// connection from run to run, with whether that GC compacted).
/// </summary>
internal sealed class ConnectionsScenario(BenchOptions options, Jwt jwt, string runDirectory)
{
    public async Task<ConnectionsResult> Run(ITarget target, int count, string tag)
    {
        var host = target.ConnectionHost;
        var delivery = new Delivery();
        using var negotiate = new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(1) };

        // One connection first, so the first-use costs (JIT, pools) land in the "before" picture.
        var warm = new Viewer(target.HubUrl, jwt.ForUser($"u{tag}-warm"), options.MessagePack, negotiate, delivery);
        await warm.Connect(CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var (heap0, live0) = await GcProbe.HeapSizesAfterFullGc(host);
        var rss0 = ProcStats.Rss(host.Pid);

        var viewers = Enumerable.Range(0, count)
            .Select(i => new Viewer(target.HubUrl, jwt.ForUser($"u{tag}-{i}"), options.MessagePack, negotiate, delivery))
            .ToList();
        var failed = 0;
        string? firstError = null;
        var clock = Stopwatch.StartNew();
        try
        {
            await Bounded.ForEach(viewers, 32, async v =>
            {
                try
                {
                    await v.Connect(CancellationToken.None);
                }
                catch (Exception ex)
                {
                    Interlocked.Increment(ref failed);
                    firstError ??= ex.Message;
                }
            });
            var connectSeconds = clock.Elapsed.TotalSeconds;

            // Let the negotiate requests' keep-alive connections close, so only the WebSockets remain.
            await Task.Delay(TimeSpan.FromSeconds(3));
            var (heap1, live1) = await GcProbe.HeapSizesAfterFullGc(host);
            var rss1 = ProcStats.Rss(host.Pid);
            if (options.GcDump)
            {
                await GcProbe.Dump(host, runDirectory, $"{target.Name}-connections-{host.Name}-{tag}");
            }

            var connected = viewers.Count(v => v.State == Microsoft.AspNetCore.SignalR.Client.HubConnectionState.Connected);
            return new ConnectionsResult(
                target.Name, count, connected, failed, Math.Round(connectSeconds, 1),
                Math.Round((heap1 - heap0) / 1048576.0, 1), Math.Round((rss1 - rss0) / 1048576.0, 1),
                connected > 0 ? Math.Round((double)(heap1 - heap0) / connected) : 0,
                connected > 0 ? Math.Round((double)(live1 - live0) / connected) : 0,
                connected > 0 ? Math.Round((double)(rss1 - rss0) / connected) : 0,
                firstError);
        }
        finally
        {
            await Bounded.ForEach(viewers.Append(warm), 64, async v => await v.DisposeAsync());
        }
    }
}
