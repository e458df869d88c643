using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using ReHome.Bench.Hosting;
using ReHome.Bench.Load;
using ReHome.Bench.Measure;
using ReHome.Producer;

namespace ReHome.Bench.Scenarios;

public sealed record AppendCase(
    string Case,
    string Path,
    int Streams,
    int InFlightPerStream,
    double Seconds,
    long Calls,
    double CallsPerSecond,
    double TokensPerSecond,
    Percentiles LatencyMs,
    double SiloCpuPercent,
    double GatewayCpuPercent,
    double BenchCpuPercent,
    long Failures);

/// <summary>
/// The cost of an Append from one client: raw <c>IStreamGrain.Append</c> calls (one in flight per stream, or
/// pipelined) and the producer SDK's batched <c>StreamTokenAsync</c>, on one stream and on 100 streams.
/// </summary>
internal sealed class AppendScenario(double seconds)
{
    public async Task<List<AppendCase>> Run(ReHomeTarget target, string tag)
    {
        var client = await target.Client();
        var grains = client.Services.GetRequiredService<IGrainFactory>();
        var producer = client.Services.GetRequiredService<IStreamProducer>();
        var n = 0;
        async Task<string[]> Open(int count)
        {
            var ids = new string[count];
            for (var i = 0; i < count; i++, n++)
            {
                // Threads allow 100 stream starts a minute; 50 streams each stays well inside.
                var thread = $"t{tag}-{n / 50}";
                if (n % 50 == 0)
                {
                    await producer.ConfigureThreadAsync(thread, new ThreadAccess(null, null, "nobody", []));
                }

                ids[i] = $"s{tag}-{n}";
                await producer.StartStreamAsync(thread, $"r{tag}-{n}", ids[i]);
            }

            return ids;
        }

        // Warm-up: JIT and activation paths, not measured.
        await RawCase(target, grains, "warm-up", await Open(10), 1, 2);

        return
        [
            await RawCase(target, grains, "raw, 1 stream, 1 in flight", await Open(1), 1, seconds),
            await RawCase(target, grains, "raw, 1 stream, 64 in flight", await Open(1), 64, seconds),
            await RawCase(target, grains, "raw, 100 streams, 1 in flight each", await Open(100), 1, seconds),
            await SdkCase(target, producer, "SDK, 1 stream, open loop", await Open(1), seconds),
            await SdkCase(target, producer, "SDK, 100 streams, open loop", await Open(100), seconds),
        ];
    }

    private static async Task<AppendCase> RawCase(ReHomeTarget target, IGrainFactory grains, string name, string[] streams, int inFlight, double seconds)
    {
        var latency = new Histogram();
        long calls = 0, failures = 0;
        var before = Sample(target);
        var stop = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var workers = streams.SelectMany(id => Enumerable.Range(0, inFlight).Select(_ => Task.Run(async () =>
        {
            var grain = grains.GetGrain<IStreamGrain>(id);
            var k = 0;
            while (Stopwatch.GetTimestamp() < stop)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    await grain.Append(Tokens.For(0, ++k));
                    latency.Record((Stopwatch.GetTimestamp() - start) * 1_000_000 / Stopwatch.Frequency);
                    Interlocked.Increment(ref calls);
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })));
        await Task.WhenAll(workers);
        return Result(name, "IStreamGrain.Append", streams.Length, inFlight, seconds, calls, calls, latency, before, Sample(target), failures);
    }

    private static async Task<AppendCase> SdkCase(ReHomeTarget target, IStreamProducer producer, string name, string[] streams, double seconds)
    {
        const int MaxOutstanding = 20_000;
        var latency = new Histogram();
        long tokens = 0, failures = 0, outstanding = 0;
        var before = Sample(target);
        var stop = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var workers = streams.Select(id => Task.Run(async () =>
        {
            var k = 0;
            while (Stopwatch.GetTimestamp() < stop)
            {
                if (Interlocked.Read(ref outstanding) > MaxOutstanding)
                {
                    await Task.Yield();
                    continue;
                }

                var start = Stopwatch.GetTimestamp();
                Interlocked.Increment(ref outstanding);
                _ = producer.StreamTokenAsync(id, Tokens.For(0, ++k)).ContinueWith(t =>
                {
                    Interlocked.Decrement(ref outstanding);
                    if (t.IsCompletedSuccessfully)
                    {
                        latency.Record((Stopwatch.GetTimestamp() - start) * 1_000_000 / Stopwatch.Frequency);
                        Interlocked.Increment(ref tokens);
                    }
                    else
                    {
                        Interlocked.Increment(ref failures);
                    }
                }, TaskContinuationOptions.ExecuteSynchronously);
                if (k % 64 == 0)
                {
                    await Task.Yield();
                }
            }
        }));
        await Task.WhenAll(workers);
        var after = Sample(target);
        await Bounded.Until(() => Interlocked.Read(ref outstanding) == 0, TimeSpan.FromSeconds(30));
        return Result(name, "IStreamProducer.StreamTokenAsync", streams.Length, MaxOutstanding, seconds, tokens, tokens, latency, before, after, failures);
    }

    private static AppendCase Result(string name, string path, int streams, int inFlight, double seconds, long calls, long tokens,
        Histogram latency, Dictionary<string, double> before, Dictionary<string, double> after, long failures)
    {
        double Cpu(string key) => before.ContainsKey(key) ? Math.Round(100 * (after[key] - before[key]) / seconds, 1) : 0;
        return new AppendCase(name, path, streams, inFlight, seconds, calls, Math.Round(calls / seconds), Math.Round(tokens / seconds),
            Percentiles.Of(latency), Cpu("silo"), Cpu("gateway"), Cpu("bench"), failures);
    }

    private static Dictionary<string, double> Sample(ReHomeTarget target)
    {
        var cpu = target.Processes.ToDictionary(p => p.Name, p => ProcStats.CpuSeconds(p.Pid));
        cpu["bench"] = ProcStats.CpuSeconds(Environment.ProcessId);
        return cpu;
    }
}
