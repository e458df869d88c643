using System.Diagnostics;
using ReHome.Bench.Hosting;
using ReHome.Bench.Load;
using ReHome.Bench.Measure;

namespace ReHome.Bench.Scenarios;

/// <summary>
/// Drives live delivery: N producers at R tokens/s each, K viewers on each stream's thread, a warm-up, then a
/// measured window; then ends every stream and checks what every viewer got against what was sent.
/// </summary>
internal sealed class LiveScenario(BenchOptions options, Jwt jwt, Profiler profiler)
{
    /// <param name="alongside">Started once the viewers have joined, before the first token; disposed at the end
    /// (the <c>slow</c> scenario's stalled viewers). Gets the producer and each thread with its owner.</param>
    public async Task<LiveResult> Run(ITarget target, LiveSpec spec, string tag,
        Func<IProducerDriver, IReadOnlyList<(string ThreadId, string Owner)>, Task<IAsyncDisposable>>? alongside = null)
    {
        var delivery = new Delivery();
        await using var producer = await target.CreateProducer(options.Producer);
        string Thread(int i) => $"t{tag}-{i}";
        string User(int i, int j) => $"u{tag}-{i}-{j}";

        await Bounded.ForEach(Enumerable.Range(0, spec.Streams), 32, i => producer.ConfigureThread(
            Thread(i), User(i, 0), [.. Enumerable.Range(1, spec.ViewersPerThread - 1).Select(j => User(i, j))]));

        using var negotiate = new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(2) };
        var viewers = new List<(IBenchViewer Viewer, int Stream)>();
        for (var i = 0; i < spec.Streams; i++)
        {
            for (var j = 0; j < spec.ViewersPerThread; j++)
            {
                // Round-robin over the co-hosted nodes (--silos): a stream's viewers sit on different nodes, as behind a load balancer.
                var host = target.ConnectionHosts[(i + j) % target.ConnectionHosts.Count].HttpBase!;
                IBenchViewer viewer = options.PusherClient
                    ? new PusherViewer(new Uri(host), delivery)
                    : new Viewer(host + HubContract.Path, jwt.ForUser(User(i, j)), options.MessagePack, negotiate, delivery);
                viewers.Add((viewer, i));
            }
        }

        var ledgers = new StreamLedger[spec.Streams];
        IAsyncDisposable? extra = null;
        try
        {
            var connecting = Stopwatch.StartNew();
            await Bounded.ForEach(viewers, 32, async v =>
            {
                await v.Viewer.Connect(CancellationToken.None);
                await v.Viewer.Join(Thread(v.Stream));
            });
            var connectSeconds = connecting.Elapsed.TotalSeconds;
            if (alongside is not null)
            {
                extra = await alongside(producer, [.. Enumerable.Range(0, spec.Streams).Select(i => (Thread(i), User(i, 0)))]);
            }

            var capacity = (int)Math.Ceiling(spec.Rate * (spec.Warmup + spec.Duration)) + 16;
            await Bounded.ForEach(Enumerable.Range(0, spec.Streams), 32, async i =>
            {
                var ledger = new StreamLedger(i, Thread(i), $"s{tag}-{i}", capacity);
                await producer.StartStream(ledger.ThreadId, $"r{tag}-{i}", ledger.StreamId);
                delivery.Ledgers[ledger.StreamId] = ledger;
                ledgers[i] = ledger;
            });

            var gatewayBefore = await GatewayDelay.Read(target);
            var allocatedBefore = await Allocated(target);
            var feedBefore = await FeedCalls(target);
            var measured = await Produce(target, spec, producer, ledgers, delivery);
            var feedAfter = await FeedCalls(target);
            measured.FeedEntriesPerDelivery = feedAfter.Deliveries > feedBefore.Deliveries
                ? Math.Round((double)(feedAfter.Entries - feedBefore.Entries) / (feedAfter.Deliveries - feedBefore.Deliveries), 2)
                : null;
            var gatewayAfter = await GatewayDelay.Read(target);
            measured.GatewayP50 = GatewayDelay.Percentile(gatewayBefore, gatewayAfter, 50);
            measured.GatewayP99 = GatewayDelay.Percentile(gatewayBefore, gatewayAfter, 99);
            var allocatedAfter = await Allocated(target);
            measured.AllocatedPerToken = allocatedBefore.Keys
                .Where(allocatedAfter.ContainsKey)
                .ToDictionary(k => k, k => Math.Round((double)(allocatedAfter[k] - allocatedBefore[k]) / Math.Max(1, ledgers.Sum(l => (long)l.Sent))));
            await Bounded.Until(() => ledgers.All(l => l.Settled), TimeSpan.FromSeconds(60));
            await Bounded.ForEach(ledgers, 32, l => producer.End(l.StreamId, l.Sent));
            var doneBy = TimeSpan.FromSeconds(30);
            await Bounded.Until(() => viewers.All(v => Check(v.Viewer, ledgers[v.Stream]) is { Done: true } c && c.DoneSequence >= ledgers[v.Stream].Sent), doneBy);

            return Summarize(target, spec, viewers, ledgers, delivery, measured, connectSeconds);
        }
        finally
        {
            if (extra is not null)
            {
                await extra.DisposeAsync();
            }

            await Bounded.ForEach(viewers, 64, async v => await v.Viewer.DisposeAsync());
        }
    }

    /// <summary>The producers' schedule, on one dedicated thread: each stream's token k is due at its offset + k/R.</summary>
    private Task<Measured> Produce(ITarget target, LiveSpec spec, IProducerDriver producer, StreamLedger[] ledgers, Delivery delivery)
    {
        var f = Stopwatch.Frequency;
        var interval = f / spec.Rate;
        var t0 = Stopwatch.GetTimestamp() + f / 20;
        var windowStart = t0 + (long)(spec.Warmup * f);
        var windowEnd = windowStart + (long)(spec.Duration * f);
        delivery.OpenWindow(windowStart, windowEnd);
        var next = new double[ledgers.Length];
        for (var i = 0; i < next.Length; i++)
        {
            next[i] = t0 + (i * interval / next.Length);
        }

        var lag = new Histogram();
        var measured = new Measured();
        var bench = Environment.ProcessId;
        var finished = new TaskCompletionSource<Measured>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            while (true)
            {
                var now = Stopwatch.GetTimestamp();
                if (measured.Start is null && now >= windowStart)
                {
                    measured.Start = SampleAll(target, bench, resetPeaks: true);
                    profiler.Start(target, spec.Duration);
                }

                if (now >= windowEnd)
                {
                    measured.End = SampleAll(target, bench, resetPeaks: false);
                    measured.Lag = lag;
                    measured.Seconds = spec.Duration;
                    finished.SetResult(measured);
                    return;
                }

                for (var i = 0; i < ledgers.Length; i++)
                {
                    var ledger = ledgers[i];
                    while (next[i] <= now)
                    {
                        var ts = Stopwatch.GetTimestamp();
                        var sequence = ledger.NextSent(ts);
                        // Offered counts the schedule; lateness shows when the generator could not keep it.
                        if (next[i] >= windowStart && next[i] < windowEnd)
                        {
                            lag.Record((ts - (long)next[i]) * 1_000_000 / f);
                            measured.Offered++;
                        }

                        Task<long> send;
                        try
                        {
                            send = producer.Send(ledger.StreamId, Tokens.For(ledger.Index, sequence));
                        }
                        catch (Exception ex)
                        {
                            send = Task.FromException<long>(ex);
                        }

                        ledger.Track(send, sequence);
                        next[i] += interval;
                    }
                }

                Thread.Sleep(1);
            }
        })
        { IsBackground = true, Name = "producer-schedule", Priority = ThreadPriority.AboveNormal };
        thread.Start();
        return finished.Task;
    }

    private static async Task<Dictionary<string, long>> Allocated(ITarget target)
    {
        var bytes = new Dictionary<string, long>();
        foreach (var process in target.Processes)
        {
            if (await GcProbe.AllocatedBytes(process) is { } allocated)
            {
                bytes[process.Name] = allocated;
            }
        }

        return bytes;
    }

    /// <summary>The thread feeds' delivery calls and the entries they carried, over every ReHome process (the relays' meter).</summary>
    private static async Task<(long Deliveries, long Entries)> FeedCalls(ITarget target)
    {
        long deliveries = 0, entries = 0;
        if (target is ReHomeTarget)
        {
            foreach (var process in target.Processes)
            {
                deliveries += await MetricsScrape.Total(process, "rehome_feed_deliveries_total") ?? 0;
                entries += await MetricsScrape.Total(process, "rehome_feed_delivered_entries_total") ?? 0;
            }
        }

        return (deliveries, entries);
    }

    private static Dictionary<string, ProcessSample> SampleAll(ITarget target, int bench, bool resetPeaks)
    {
        var all = target.Processes.ToList();
        if (target is ReHomeTarget { Redis: { } redis })
        {
            all.Add(redis);
        }

        if (resetPeaks)
        {
            foreach (var p in all)
            {
                ProcStats.ResetPeak(p.Pid);
            }

            ProcStats.ResetPeak(bench);
        }

        var samples = all.ToDictionary(p => p.Name, p => p.Sample());
        samples["bench"] = new ProcessSample("bench (load)", bench, ProcStats.CpuSeconds(bench), ProcStats.Rss(bench), ProcStats.PeakRss(bench));
        samples["machine"] = new ProcessSample("machine (all processes)", 0, ProcStats.MachineBusySeconds(), 0, 0);
        return samples;
    }

    private static StreamCheck? Check(IBenchViewer viewer, StreamLedger ledger) => viewer.Checks.FirstOrDefault(c => c.Ledger == ledger);

    private static LiveResult Summarize(ITarget target, LiveSpec spec, List<(IBenchViewer Viewer, int Stream)> viewers, StreamLedger[] ledgers,
        Delivery delivery, Measured measured, double connectSeconds)
    {
        long lost = 0, dup = 0, ooo = 0, corrupt = 0, afterDone = 0, doneMissing = 0, disconnected = 0;
        foreach (var (viewer, stream) in viewers)
        {
            var ledger = ledgers[stream];
            if (Check(viewer, ledger) is { } check)
            {
                lost += check.Lost;
                dup += check.Duplicates;
                ooo += check.OutOfOrder;
                corrupt += check.Corrupted;
                afterDone += check.AfterDone;
                doneMissing += check.Done && check.DoneSequence == ledger.Sent ? 0 : 1;
            }
            else
            {
                lost += ledger.Sent;
                doneMissing++;
            }

            disconnected += viewer.Connected ? 0 : 1;
        }

        var usage = measured.End!.Keys
            .Select(k => ProcessUsage.Between(measured.Start![k], measured.End[k], measured.Seconds))
            .ToList();
        var serverCpu = usage.Where(u => !u.Name.StartsWith("bench", StringComparison.Ordinal) && !u.Name.StartsWith("machine", StringComparison.Ordinal)).Sum(u => u.CpuSeconds);
        var deliveredPerSecond = delivery.ReceivedInWindow / measured.Seconds;
        var offeredPerSecond = measured.Offered / measured.Seconds;
        return new LiveResult
        {
            Target = target.Name,
            Streams = spec.Streams,
            RatePerStream = spec.Rate,
            ViewersPerThread = spec.ViewersPerThread,
            Viewers = viewers.Count,
            WarmupSeconds = spec.Warmup,
            DurationSeconds = spec.Duration,
            OfferedPerSecond = Math.Round(offeredPerSecond, 1),
            DeliveredPerSecond = Math.Round(deliveredPerSecond, 1),
            ExpectedDeliveredPerSecond = Math.Round(offeredPerSecond * spec.ViewersPerThread, 1),
            DelayMs = Percentiles.Of(delivery.Delay),
            SchedulerLagMs = Percentiles.Of(measured.Lag!),
            Sent = ledgers.Sum(l => (long)l.Sent),
            ProducerFailures = ledgers.Sum(l => (long)l.Failed),
            Misnumbered = ledgers.Sum(l => (long)l.Misnumbered),
            FirstProducerError = ledgers.Select(l => l.FirstError?.Message).FirstOrDefault(m => m is not null),
            Lost = lost,
            Duplicated = dup,
            OutOfOrder = ooo,
            Corrupted = corrupt,
            TokensAfterDone = afterDone,
            DoneMissing = doneMissing,
            ViewersDisconnected = disconnected,
            Processes = usage,
            ServerCpuMsPer1kDelivered = deliveredPerSecond > 0 ? Math.Round(serverCpu * 1000 / (delivery.ReceivedInWindow / 1000.0), 2) : 0,
            ConnectSeconds = Math.Round(connectSeconds, 1),
            ClusterHopP50BucketMs = measured.GatewayP50,
            AllocatedBytesPerTokenSent = measured.AllocatedPerToken,
            ClusterHopP99BucketMs = measured.GatewayP99,
            FeedEntriesPerDelivery = measured.FeedEntriesPerDelivery,
        };
    }

    private sealed class Measured
    {
        public Dictionary<string, ProcessSample>? Start { get; set; }
        public Dictionary<string, ProcessSample>? End { get; set; }
        public long Offered { get; set; }
        public Histogram? Lag { get; set; }
        public double Seconds { get; set; }
        public double? GatewayP50 { get; set; }
        public Dictionary<string, double> AllocatedPerToken { get; set; } = [];

        public double? FeedEntriesPerDelivery { get; set; }
        public double? GatewayP99 { get; set; }
    }
}
