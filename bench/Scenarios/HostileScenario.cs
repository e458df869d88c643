using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using ReHome.Bench.Hosting;
using ReHome.Bench.Load;
using ReHome.Bench.Measure;

namespace ReHome.Bench.Scenarios;

public sealed record HostileResult(
    string Target,
    double WarmupSeconds,
    double SoakSeconds,
    double SettleSeconds,
    long HeapFreshBytes,
    long HeapBeforeBytes,
    long HeapAfterBytes,
    double HeapChangePercent,
    bool WithinTenPercent,
    long PeakRssBytes,
    double GatewayCpuPercent,
    IReadOnlyDictionary<string, long> Outcomes,
    long HonestTokensSent,
    bool HonestViewerComplete,
    string HonestViewerDetail);

/// <summary>
/// Gateway memory under hostile traffic (<see cref="HostileTraffic"/>: joins and fetches on unknown ids, malformed
/// frames, connection churn past the quotas), with default quotas, while an honest viewer watches an honest stream.
/// The gateway's live heap after a full GC is taken after a warm-up of the same traffic and a quiet settle (so
/// one-time costs such as JIT, pools and caches are out of it), and again after the soak and the same settle; the
/// soak should leave it within 10 %. The heap of the fresh process is reported too. Live objects, not the heap's
/// size: the free space a full GC leaves or compacts away moves the size by more than a leak this test would catch.
/// </summary>
internal sealed class HostileScenario(BenchOptions options, Jwt jwt)
{
    private const int Joiners = 8;
    private const int RawSockets = 4;
    private const int Churners = 4;

    /// <summary>
    /// Quiet time before a heap reading: closed connections' rate-limit buckets are dropped once full and idle
    /// (about 15 s at the default quota), and unknown ids' activations after 2 s.
    /// </summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(25);

    public async Task<HostileResult> Run(ITarget target, string tag)
    {
        var gateway = target.ConnectionHost;
        var warmup = options.Warmup ?? 10;
        var soak = options.Duration ?? 60;
        var heapFresh = (await GcProbe.HeapSizesAfterFullGc(gateway)).Live;
        var gatewayBase = target.HubUrl[..^HubContract.Path.Length];
        var traffic = new HostileTraffic(gatewayBase, jwt, tag);

        await using var producer = await target.CreateProducer(options.Producer);
        var honestThread = $"t{tag}-honest";
        var churnThread = $"t{tag}-churn";
        await producer.ConfigureThread(honestThread, $"alice-{tag}", []);
        await producer.ConfigureThread(churnThread, traffic.ChurnUser(0), [.. Enumerable.Range(1, Churners).Select(traffic.ChurnUser)]);
        await using var honest = new HonestViewer(target.HubUrl, jwt.ForUser($"alice-{tag}"));
        await honest.Join(honestThread);
        var streamId = $"s{tag}-honest";
        await producer.StartStream(honestThread, $"r{tag}-honest", streamId);
        using var stopHonest = new CancellationTokenSource();
        var honestTokens = Task.Run(() => ProduceHonestly(producer, streamId, stopHonest.Token));

        Console.WriteLine($"   hostile: warm-up {warmup} s");
        await RunFor(traffic, churnThread, warmup);
        await Task.Delay(Settle);
        var heapBefore = (await GcProbe.HeapSizesAfterFullGc(gateway)).Live;

        Console.WriteLine($"   hostile: soak {soak} s (heap before {heapBefore / 1048576.0:F1} MB)");
        ProcStats.ResetPeak(gateway.Pid);
        var cpuBefore = ProcStats.CpuSeconds(gateway.Pid);
        var clock = Stopwatch.StartNew();
        await RunFor(traffic, churnThread, soak);
        var cpuPercent = (ProcStats.CpuSeconds(gateway.Pid) - cpuBefore) / clock.Elapsed.TotalSeconds * 100;
        var peakRss = ProcStats.PeakRss(gateway.Pid);
        await Task.Delay(Settle);
        var heapAfter = (await GcProbe.HeapSizesAfterFullGc(gateway)).Live;

        await stopHonest.CancelAsync();
        var sent = await honestTokens;
        await producer.End(streamId, sent);
        var (complete, detail) = await honest.Check(streamId, sent);
        var change = (heapAfter - heapBefore) * 100.0 / heapBefore;
        return new HostileResult(target.Name, warmup, soak, Settle.TotalSeconds, heapFresh, heapBefore, heapAfter,
            Math.Round(change, 1), Math.Abs(change) <= 10, peakRss, Math.Round(cpuPercent, 1),
            new SortedDictionary<string, long>(traffic.Outcomes.ToDictionary()), sent, complete, detail);
    }

    private static async Task RunFor(HostileTraffic traffic, string churnThread, double seconds)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        await traffic.Run(Joiners, RawSockets, Churners, churnThread, stop.Token);
    }

    /// <summary>An honest model at 20 tokens/s for as long as the run lasts; returns how many it sent.</summary>
    private static async Task<long> ProduceHonestly(IProducerDriver producer, string streamId, CancellationToken stop)
    {
        long last = 0;
        while (!stop.IsCancellationRequested)
        {
            last = await producer.Send(streamId, $"w{last + 1} ");
            await Task.Delay(50, CancellationToken.None);
        }

        return last;
    }

    /// <summary>A viewer that did nothing wrong: it must get its stream whole, in order, once, through all of it.</summary>
    private sealed class HonestViewer : IAsyncDisposable
    {
        private readonly HubConnection _connection;
        private readonly ConcurrentQueue<DeliveredToken> _received = new();

        public HonestViewer(string hubUrl, string token)
        {
            _connection = new HubConnectionBuilder()
                .WithUrl(hubUrl, o =>
                {
                    o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                    o.Transports = HttpTransportType.WebSockets;
                })
                .Build();
            _connection.On<DeliveredToken>(HubContract.TokenEvent, _received.Enqueue);
            _connection.On<DeliveredToken[]>(HubContract.TokensEvent, batch => Array.ForEach(batch, _received.Enqueue));
        }

        public async Task Join(string threadId)
        {
            await _connection.StartAsync();
            await _connection.InvokeAsync<object[]>(HubContract.JoinThread, threadId);
        }

        public async Task<(bool Complete, string Detail)> Check(string streamId, long sent)
        {
            await Bounded.Until(() => _received.Any(m => m.StreamId == streamId && m.Done), TimeSpan.FromSeconds(20));
            var sequences = _received.Where(m => m.StreamId == streamId && !m.Done).Select(m => m.Sequence).ToList();
            var inOrder = sequences.SequenceEqual(Enumerable.Range(1, (int)sent).Select(i => (long)i));
            var done = _received.Any(m => m.StreamId == streamId && m.Done);
            return (inOrder && done, $"{sequences.Count} of {sent} tokens, {(inOrder ? "each once in order" : "NOT each once in order")}, done event {(done ? "received" : "MISSING")}, connection {_connection.State}");
        }

        public ValueTask DisposeAsync() => _connection.DisposeAsync();
    }
}
