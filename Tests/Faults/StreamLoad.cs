using System.Diagnostics;
using ReHome.Smoke;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Faults;

/// <summary>
/// Streams like a fleet of models answering at once: each stream on its own thread, its tokens sent through the
/// producer SDK at a steady rate without waiting for each (as tokens come from a model), each watched by
/// resuming SignalR viewers spread over the gateways. Then checks what every viewer shows against what was sent.
/// </summary>
internal sealed class StreamLoad : IAsyncDisposable
{
    private readonly ProcessClusterFixture _fixture;
    private readonly List<Producer> _streams;
    private readonly double _rate;
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _gcPausedBefore = GC.GetTotalPauseDuration();
    private Task _pump = Task.CompletedTask;
    private (long Gap, long EndedAt) _longestTickGap;

    private StreamLoad(ProcessClusterFixture fixture, List<Producer> streams, double rate)
    {
        _fixture = fixture;
        _streams = streams;
        _rate = rate;
    }

    public IEnumerable<string> StreamIds => _streams.Select(s => s.StreamId);

    /// <summary>Tokens every stream has been handed so far (the least of them).</summary>
    public int Sent => _streams.Min(s => Volatile.Read(ref s.SentCount));

    /// <param name="gatewayOf">Which gateway viewer v of stream s starts on; by default they alternate.</param>
    public static async Task<StreamLoad> Start(ProcessClusterFixture fixture, int streams, int viewersPerStream, int tokensPerStream,
        double rate = 50, Func<int, int, int>? gatewayOf = null)
    {
        gatewayOf ??= (s, v) => s + v;
        var producer = fixture.Cluster.Producer;
        var list = await Task.WhenAll(Enumerable.Range(0, streams).Select(async s =>
        {
            var id = Guid.NewGuid().ToString("N")[..10];
            var threadId = "t-" + id;
            var user = "u-" + id;
            await producer.ConfigureThreadAsync(threadId, new ThreadAccess("ws", "proj", user, []));
            var token = ViewerToken.Sign(fixture.SigningKey, user, TimeSpan.FromHours(1));
            var viewers = new List<ResumingViewer>();
            for (var v = 0; v < viewersPerStream; v++)
            {
                var viewer = await ResumingViewer.Connect(fixture.GatewayUrls, () => token, gatewayOf(s, v));
                await Patiently.Call(() => viewer.Join(threadId));
                viewers.Add(viewer);
            }

            var streamId = await producer.StartStreamAsync(threadId, "r-" + id, "s-" + id);
            var tokens = Enumerable.Range(1, tokensPerStream).Select(i => $"{id}:{i} ").ToArray();
            return new Producer(threadId, streamId, tokens, viewers);
        }));

        var load = new StreamLoad(fixture, [.. list], rate);
        load._pump = Task.Run(load.Pump);
        return load;
    }

    /// <summary>Waits until every stream has sent at least this many tokens.</summary>
    public Task WaitSent(int tokens) =>
        Eventually.True(() => Task.FromResult(Sent >= tokens), TimeSpan.FromSeconds(60), $"{tokens} tokens sent per stream");

    /// <summary>Sends the rest, ends every stream through the SDK and waits until every viewer shows the end.</summary>
    /// <exception cref="TimeoutException">Its message names the streams not ended and the viewers not done.</exception>
    public async Task Finish(TimeSpan timeout)
    {
        await _pump;
        var producer = _fixture.Cluster.Producer;
        try
        {
            await Task.WhenAll(_streams.Select(async s =>
            {
                s.Sequences = await Task.WhenAll(s.Sends);
                s.Ended = await producer.EndStreamAsync(s.StreamId);
            })).WaitAsync(timeout);

            var views = _streams.SelectMany(s => s.Viewers.Select(v => v.Stream(s.StreamId).WhenDone));
            await Task.WhenAll(views).WaitAsync(timeout);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"Not finished within {timeout.TotalSeconds:0} s.{Environment.NewLine}{await Unfinished()}", ex);
        }
    }

    /// <summary>Each stream its producer has not ended, and each viewer not done, with what it shows and what the grain holds.</summary>
    private async Task<string> Unfinished()
    {
        var lines = new List<string>();
        foreach (var s in _streams)
        {
            var waiting = s.Viewers.Select((viewer, index) => (viewer, index))
                .Where(x => !x.viewer.Read(s.StreamId, view => view.Done)).ToArray();
            if (s.Ended && waiting.Length == 0)
            {
                continue;
            }

            string held;
            try
            {
                var page = await _fixture.Cluster.Client.GetGrain<IStreamGrain>(s.StreamId).GetTokens(s.Tokens.Length);
                held = $"its grain holds {page.LastSequence}{(page.Done ? ", ended" : ", open")}";
            }
            catch (Exception ex)
            {
                held = $"its grain did not answer ({ex.GetType().Name})";
            }

            lines.Add($"{s.StreamId} on {s.ThreadId}: sent {Volatile.Read(ref s.SentCount)}, acked {s.Sends.Count(t => t is { IsCompletedSuccessfully: true })}" +
                $"{(s.Ended ? ", ended" : ", not ended")}; {held}");
            foreach (var (viewer, index) in waiting)
            {
                lines.Add($"  viewer {index} on {viewer.Gateway}: shows {viewer.Read(s.StreamId, view => view.Last)}, not done");
            }
        }

        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>
    /// Kills <paramref name="silo"/> (<c>kill -9</c>) while the streams flow, then finishes them
    /// (<see cref="Finish"/>, 90 s) and checks every viewer (<see cref="Verify"/>). Returns when the kill was (a
    /// <see cref="Stopwatch"/> timestamp) and how long after it the cluster declared the silo dead.
    /// </summary>
    public async Task<(long KilledAt, TimeSpan Detection)> KillAndFinish(ChildProcess silo)
    {
        var killedAt = Stopwatch.GetTimestamp();
        await silo.Kill();
        var declared = _fixture.DeclaredDead(silo, killedAt);

        try
        {
            await Finish(TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Not every stream completed after the kill. {Summary()}{Environment.NewLine}{_fixture.Tails()}");
        }

        await Verify();
        return (killedAt, await declared);
    }

    /// <summary>
    /// Every stream was numbered 1..N with no number twice, ended once, holds exactly what was sent, and every
    /// viewer shows exactly that: nothing lost, repeated or reordered, and done with the full text.
    /// </summary>
    public async Task Verify()
    {
        foreach (var s in _streams)
        {
            var text = string.Concat(s.Tokens);
            Assert.Equal(Enumerable.Range(1, s.Tokens.Length).Select(i => (long)i), s.Sequences);
            Assert.True(s.Ended, $"{s.StreamId} was ended by the producer's call");
            var page = await _fixture.Cluster.Client.GetGrain<IStreamGrain>(s.StreamId).GetTokens(0);
            Assert.Equal(s.Tokens, page.Tokens);
            Assert.True(page.Done);
            Assert.Equal(text, page.FullResponse);
            foreach (var viewer in s.Viewers)
            {
                var (tokens, fullResponse, incomplete) = viewer.Read(s.StreamId, v => (v.Tokens.ToArray(), v.FullResponse, v.Incomplete));
                Assert.False(incomplete, $"a viewer of {s.StreamId} was told its history is incomplete");
                Assert.Equal(s.Tokens, tokens);
                Assert.Equal(text, fullResponse);
            }
        }
    }

    public IEnumerable<ResumingViewer> Viewers => _streams.SelectMany(s => s.Viewers);

    /// <summary>The longest wait between two consecutive tokens on any viewer's screen, and on a typical one.</summary>
    public (TimeSpan Longest, TimeSpan Median, int Over1s) Stalls()
    {
        var stalls = _streams.SelectMany(s => s.Viewers.Select(v => v.Read(s.StreamId, view => view.LongestStall))).Order().ToArray();
        return (stalls[^1], stalls[stalls.Length / 2], stalls.Count(s => s > TimeSpan.FromSeconds(1)));
    }

    /// <summary>Each viewer's longest stall, with its stream.</summary>
    public IEnumerable<(string StreamId, int Viewer, TimeSpan Stall)> ViewerStalls() =>
        _streams.SelectMany(s => s.Viewers.Select((v, i) => (s.StreamId, i, v.Read(s.StreamId, view => view.LongestStall))));

    /// <summary>The longest stall of any viewer of these streams.</summary>
    public TimeSpan LongestStall(IEnumerable<string> streamIds)
    {
        var ids = streamIds.ToHashSet();
        return _streams.Where(s => ids.Contains(s.StreamId))
            .SelectMany(s => s.Viewers.Select(v => v.Read(s.StreamId, view => view.LongestStall)))
            .DefaultIfEmpty().Max();
    }

    /// <summary>When the viewers' longest stalls ended, in seconds after <paramref name="since"/>: min, median, max.</summary>
    public string StallEnds(long since)
    {
        var ends = _streams.SelectMany(s => s.Viewers.Select(v => v.Read(s.StreamId, view => view.LongestStallEndedAt)))
            .Select(t => Stopwatch.GetElapsedTime(since, t).TotalSeconds).Order().ToArray();
        return $"longest stalls ended {ends[0]:0.0}/{ends[ends.Length / 2]:0.0}/{ends[^1]:0.0} s (min/median/max) after the fault; {HostPauses(since)}";
    }

    /// <summary>
    /// How long this test process itself stopped sending: its sender's longest wait between two 10 ms ticks, and
    /// the time its garbage collector paused it. A pause here stalls every stream at once, whatever the cluster does.
    /// </summary>
    private string HostPauses(long since)
    {
        var (gap, endedAt) = _longestTickGap;
        var paused = GC.GetTotalPauseDuration() - _gcPausedBefore;
        return $"the test host's sender ticked at most {Stopwatch.GetElapsedTime(0, gap).TotalMilliseconds:0} ms apart " +
            $"(ended {Stopwatch.GetElapsedTime(since, endedAt).TotalSeconds:0.0} s after the fault) and its GC paused it {paused.TotalMilliseconds:0} ms in all";
    }

    /// <summary>The longest stalls, as "stream: start→end s after the fault", for the output.</summary>
    public IEnumerable<string> WorstStalls(long since, int count) =>
        _streams.SelectMany(s => s.Viewers.Select((v, i) => v.Read(s.StreamId, view => (s.StreamId, i, view.LongestStall, view.LongestStallEndedAt))))
            .OrderByDescending(x => x.LongestStall).Take(count)
            .Select(x => $"{x.StreamId} viewer {x.i}: {Stopwatch.GetElapsedTime(since, x.LongestStallEndedAt).TotalSeconds - x.LongestStall.TotalSeconds:0.00}→{Stopwatch.GetElapsedTime(since, x.LongestStallEndedAt).TotalSeconds:0.00} s");

    /// <summary>The producer's side: the longest wait between two consecutive acknowledgements of one stream's tokens.</summary>
    public string ProducerStalls(long since)
    {
        var worst = _streams.Select(s =>
        {
            var (gap, end) = (0L, 0L);
            for (var i = 1; i < s.AckedAt.Length; i++)
            {
                if (s.AckedAt[i] - s.AckedAt[i - 1] > gap)
                {
                    (gap, end) = (s.AckedAt[i] - s.AckedAt[i - 1], s.AckedAt[i]);
                }
            }

            return (Gap: Stopwatch.GetElapsedTime(0, gap), End: Stopwatch.GetElapsedTime(since, end));
        }).OrderByDescending(x => x.Gap).ToArray();
        return $"producer acks stalled at most {worst[0].Gap.TotalMilliseconds:0} ms (ended {worst[0].End.TotalSeconds:0.0} s after the fault), median {worst[worst.Length / 2].Gap.TotalMilliseconds:0} ms";
    }

    public string Summary()
    {
        var (longest, median, over1s) = Stalls();
        var stats = Viewers.Select(v => v.Stats).ToArray();
        return $"{_streams.Count} streams × {_streams[0].Viewers.Count} viewers × {_streams[0].Tokens.Length} tokens at {_rate:0}/s: " +
            $"longest viewer stall {longest.TotalMilliseconds:0} ms, median of per-viewer longest {median.TotalMilliseconds:0} ms, " +
            $"{over1s} viewers stalled > 1 s; viewers dropped {stats.Sum(s => s.Duplicates)} duplicates, saw {stats.Sum(s => s.Jumps)} jumps, " +
            $"made {stats.Sum(s => s.Fills)} fills and {stats.Sum(s => s.Reconnects)} reconnects";
    }

    /// <summary>Hands each stream its next tokens on schedule; a late tick catches up rather than slowing the rate.</summary>
    private async Task Pump()
    {
        var producer = _fixture.Cluster.Producer;
        var start = Stopwatch.GetTimestamp();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        var lastTick = start;
        while (_streams.Any(s => s.SentCount < s.Tokens.Length) && await timer.WaitForNextTickAsync(_stop.Token))
        {
            var now = Stopwatch.GetTimestamp();
            if (now - lastTick > _longestTickGap.Gap)
            {
                _longestTickGap = (now - lastTick, now);
            }

            lastTick = now;
            var due = (int)(Stopwatch.GetElapsedTime(start).TotalSeconds * _rate) + 1;
            foreach (var s in _streams)
            {
                while (s.SentCount < Math.Min(due, s.Tokens.Length))
                {
                    var index = s.SentCount;
                    s.Sends[index] = producer.StreamTokenAsync(s.StreamId, s.Tokens[index]);
                    _ = s.Sends[index].ContinueWith(_ => s.AckedAt[index] = Stopwatch.GetTimestamp(), TaskScheduler.Default);
                    Volatile.Write(ref s.SentCount, s.SentCount + 1);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _pump.ContinueWith(_ => { });
        await Task.WhenAll(Viewers.Select(v => v.DisposeAsync().AsTask()));
        _stop.Dispose();
    }

    private sealed class Producer(string threadId, string streamId, string[] tokens, List<ResumingViewer> viewers)
    {
        public int SentCount;

        public string ThreadId { get; } = threadId;
        public string StreamId { get; } = streamId;
        public string[] Tokens { get; } = tokens;
        public List<ResumingViewer> Viewers { get; } = viewers;
        public Task<long>[] Sends { get; } = new Task<long>[tokens.Length];
        public long[] AckedAt { get; } = new long[tokens.Length];
        public long[] Sequences { get; set; } = [];
        public bool Ended { get; set; }
    }
}
