using System.Diagnostics;
using ReHome.Bench.Hosting;
using ReHome.Bench.Load;
using ReHome.Bench.Measure;

namespace ReHome.Bench.Scenarios;

public sealed record StreamsResult(
    string Target,
    int Streams,
    int TokensPerStream,
    int Threads,
    double SetupSeconds,
    double HeapDeltaMb,
    double RssDeltaMb,
    double HeapBytesPerStream,
    double RssBytesPerStream,
    double TextBytesPerStream,
    double HeapBytesPerStreamExcludingText,
    double LiveBytesPerStreamExcludingText,
    double? RedisDeltaMb,
    long ProducerFailures,
    string? FirstError);

/// <summary>
/// Memory per open stream: the stream host's managed heap (after a full GC) and RSS before and after starting N
/// streams (each with its own run, 50 per thread) and appending T tokens to each, left open. The heap is reported
/// twice: its size, and its live objects (the size less free space, which varies with whether that GC compacted).
/// </summary>
internal sealed class StreamsScenario(BenchOptions options, string reportDirectory)
{
    private const int StreamsPerThread = 50;

    public async Task<StreamsResult> Run(ITarget target, int count, int tokens, string tag)
    {
        var host = target.StreamHost;
        await using var producer = await target.CreateProducer(options.Producer);
        var threads = (count + StreamsPerThread - 1) / StreamsPerThread;

        // One stream first, so first-use costs land in the "before" picture.
        await producer.ConfigureThread($"t{tag}-warm", "nobody", []);
        await producer.StartStream($"t{tag}-warm", $"r{tag}-warm", $"s{tag}-warm");
        await producer.Send($"s{tag}-warm", "warm");
        await Task.Delay(TimeSpan.FromSeconds(1));
        var (heap0, live0) = await GcProbe.HeapSizesAfterFullGc(host);
        var rss0 = ProcStats.Rss(host.Pid);
        var redis0 = await RedisUsed(target);
        if (options.GcDump)
        {
            // The picture before, so that a diff of the two by type shows what the streams added.
            await GcProbe.Dump(host, reportDirectory, $"{target.Name}-streams-{host.Name}-{tag}-before");
        }

        var clock = Stopwatch.StartNew();
        await Bounded.ForEach(Enumerable.Range(0, threads), 32, t => producer.ConfigureThread($"t{tag}-{t}", "nobody", []));
        var ledgers = new StreamLedger[count];
        await Bounded.ForEach(Enumerable.Range(0, count), 64, async i =>
        {
            var ledger = new StreamLedger(i, $"t{tag}-{i / StreamsPerThread}", $"s{tag}-{i}", tokens);
            await producer.StartStream(ledger.ThreadId, $"r{tag}-{i}", ledger.StreamId);
            ledgers[i] = ledger;
        });

        // All of a stream's tokens handed over at once; the producer batches them.
        await Bounded.ForEach(ledgers, 16, ledger =>
        {
            for (var k = 0; k < tokens; k++)
            {
                var sequence = ledger.NextSent(0);
                ledger.Track(producer.Send(ledger.StreamId, Tokens.For(ledger.Index, sequence)), sequence);
            }

            return Task.CompletedTask;
        });
        await Bounded.Until(() => ledgers.All(l => l.Settled), TimeSpan.FromMinutes(5));
        var setup = clock.Elapsed.TotalSeconds;

        // Past the write-behind checkpoint, so stored copies are in the picture too.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var (heap1, live1) = await GcProbe.HeapSizesAfterFullGc(host);
        var rss1 = ProcStats.Rss(host.Pid);
        var redis1 = await RedisUsed(target);
        if (options.GcDump)
        {
            await GcProbe.Dump(host, reportDirectory, $"{target.Name}-streams-{host.Name}-{tag}");
        }

        var text = ledgers.Average(l => Enumerable.Range(1, tokens).Sum(k => StringBytes(Tokens.For(l.Index, k))));
        var perStream = (double)(heap1 - heap0) / count;
        return new StreamsResult(
            target.Name, count, tokens, threads, Math.Round(setup, 1),
            Math.Round((heap1 - heap0) / 1048576.0, 1), Math.Round((rss1 - rss0) / 1048576.0, 1),
            Math.Round(perStream), Math.Round((double)(rss1 - rss0) / count),
            Math.Round(text), Math.Round(perStream - text), Math.Round((double)(live1 - live0) / count - text),
            redis0 is null ? null : Math.Round((redis1!.Value - redis0.Value) / 1048576.0, 1),
            ledgers.Sum(l => (long)l.Failed),
            ledgers.Select(l => l.FirstError?.Message).FirstOrDefault(m => m is not null));
    }

    /// <summary>
    /// A token's text: two bytes per UTF-16 unit, the payload however it is held (a string per token costs about
    /// 22 bytes more each, which counts as the holder's overhead, not as text).
    /// </summary>
    private static double StringBytes(string s) => 2 * s.Length;

    private static async Task<long?> RedisUsed(ITarget target)
    {
        if (target is not ReHomeTarget { RedisAddress: { } address })
        {
            return null;
        }

        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(address);
        var info = await redis.GetServer(redis.GetEndPoints()[0]).InfoAsync("memory");
        var used = info.SelectMany(g => g).First(kv => kv.Key == "used_memory").Value;
        return long.Parse(used, System.Globalization.CultureInfo.InvariantCulture);
    }
}
