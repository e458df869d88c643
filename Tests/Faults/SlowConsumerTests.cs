using System.Diagnostics;
using ReHome.Smoke;
using ReHome.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReHome.Tests.Faults;

/// <summary>
/// A viewer that stops reading its socket (a frozen tab, a phone in a tunnel), joined to several threads on a real
/// gateway process: the other viewers of those threads on that gateway must not notice. Measured as a run without
/// it and a run with it, on the same threads and load.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class SlowConsumerTests(ProcessClusterFixture fixture, ITestOutputHelper output)
{
    private const int Threads = 8;
    private const int ViewersPerThread = 2;
    private const double Rate = 50;

    /// <summary>Long tokens, so that the stalled socket's kernel buffers fill within seconds.</summary>
    private static readonly string Padding = new('x', 990);

    [SkippableFact]
    public async Task A_viewer_that_stops_reading_delays_no_other_viewer_and_the_gateway_memory_stays_flat()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        await fixture.EnsureHealthy();
        var gateway = fixture.GatewayUrls[0];
        var gatewayPid = fixture.Gateways[0].Pid;
        await using var threads = await ThreadSet.Create(fixture, gateway);

        // Without a stalled viewer: the same load, and a full GC at the same point, so both runs pay for one.
        long heapBefore = 0;
        var without = await threads.Stream(TimeSpan.FromSeconds(15), until: null, during: async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            heapBefore = await HeapProbe.AfterFullGc(gatewayPid, gateway);
        });

        var disconnectsBefore = await MetricsText.Read(gateway, "rehome_gateway_slow_disconnects_total");
        var behindBefore = await MetricsText.Read(gateway, "rehome_gateway_connections_behind_total");
        await using var stalled = await RawHubSocket.Connect(new Uri(gateway, HubContract.Path), threads.StalledUserToken);
        foreach (var threadId in threads.ThreadIds)
        {
            await stalled.Invoke(HubContract.JoinThread, threadId);
        }

        // It pings like a live client, so that SignalR's timeout for silent clients (30 s) is not what ends it.
        stalled.KeepAlive(TimeSpan.FromSeconds(5));

        // With one: until the gateway has disconnected it (its kernel buffers fill first, then its queue, then the timeout).
        long heapWhileBehind = 0;
        var with = await threads.Stream(TimeSpan.FromSeconds(15),
            until: async () => await MetricsText.Read(gateway, "rehome_gateway_slow_disconnects_total") > disconnectsBefore,
            during: async () =>
            {
                await Eventually.True(async () => await MetricsText.Read(gateway, "rehome_gateway_connections_behind_total") > behindBefore,
                    TimeSpan.FromSeconds(60), "the stalled viewer fell behind");
                heapWhileBehind = await HeapProbe.AfterFullGc(gatewayPid, gateway);
            });
        // The disconnected viewer's queue goes with its connection, once the transport has closed; on a machine busy
        // with the rest of the suite that took seconds once (24.4 MB at once, 21.3 MB in runs alone). A leak stays.
        var heapAfter = await HeapProbe.AfterFullGc(gatewayPid, gateway);
        for (var attempt = 1; attempt < 10 && heapAfter - heapBefore >= 3 << 20; attempt++)
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            heapAfter = await HeapProbe.AfterFullGc(gatewayPid, gateway);
        }

        Assert.True(await MetricsText.Read(gateway, "rehome_gateway_slow_disconnects_total") > disconnectsBefore,
            "The gateway did not disconnect the stalled viewer.");

        var stalledAfterEnd = await StalledUntilClosed(stalled);
        FaultReport.Write(output, "slow consumer", $"{Threads} threads × {ViewersPerThread} viewers at {Rate:0} tokens/s of {Padding.Length + 6} chars; " +
            $"other viewers' delay without a stalled viewer p50 {without.P50:0.0} ms p99 {without.P99:0.0} ms ({without.Seconds:0} s), " +
            $"with one on every thread p50 {with.P50:0.0} ms p99 {with.P99:0.0} ms ({with.Seconds:0} s, until the gateway disconnected it); " +
            $"gateway heap after full GC {Mb(heapBefore)} MB before, {Mb(heapWhileBehind)} MB while it was behind, {Mb(heapAfter)} MB after; " +
            $"the stalled viewer read {stalledAfterEnd} messages from its buffers, then found its connection closed");

        // The other viewers needed no repair at all: nothing was lost, repeated or out of order on their sockets.
        Assert.All(threads.Viewers, v => Assert.Equal((0, 0, 0), (v.Stats.Jumps, v.Stats.Duplicates, v.Stats.Reconnects)));
        // Both p99s are of 15 s on two cores shared with the rest of the suite: one GC or scheduling hiccup puts either
        // anywhere from 10 to 150 ms (10 runs in a row: without 15-144 ms, with 7-119 ms), so they are reported, not
        // compared (the bench's `slow` scenario measures them). What this guards against, a send waiting on the stalled
        // socket, stalls the others for seconds (about 10 s before per-connection queues).
        Assert.True(with.P99 < 1000,
            $"The other viewers' p99 delay went from {without.P99:0.0} ms to {with.P99:0.0} ms with a stalled viewer on their threads.");
        Assert.True(heapWhileBehind - heapBefore < 3 << 20 && heapAfter - heapBefore < 3 << 20,
            $"The gateway's heap grew from {Mb(heapBefore)} MB to {Mb(heapWhileBehind)} MB (behind) and {Mb(heapAfter)} MB (after).");
    }

    private static string Mb(long bytes) => (bytes / 1048576.0).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Reads what the stalled connection's buffers held until the gateway's close; the number of messages.</summary>
    private static async Task<int> StalledUntilClosed(RawHubSocket stalled)
    {
        var count = 0;
        while (await stalled.Read(TimeSpan.FromSeconds(20)) is { } message)
        {
            count++;
            if (message.GetProperty("type").GetInt32() == 7)
            {
                break;
            }
        }

        return count;
    }

    /// <summary>Threads with resuming viewers on one gateway, and a user who may watch them all (the stalled one).</summary>
    private sealed class ThreadSet : IAsyncDisposable
    {
        private readonly ProcessClusterFixture _fixture;
        private readonly List<(string ThreadId, List<ResumingViewer> Viewers)> _threads;

        private ThreadSet(ProcessClusterFixture fixture, List<(string, List<ResumingViewer>)> threads, string stalledUserToken)
        {
            _fixture = fixture;
            _threads = threads;
            StalledUserToken = stalledUserToken;
        }

        public string StalledUserToken { get; }

        public IEnumerable<string> ThreadIds => _threads.Select(t => t.ThreadId);

        public IEnumerable<ResumingViewer> Viewers => _threads.SelectMany(t => t.Viewers);

        public static async Task<ThreadSet> Create(ProcessClusterFixture fixture, Uri gateway)
        {
            var stalledUser = "stalled-" + Guid.NewGuid().ToString("N")[..8];
            var threads = new List<(string, List<ResumingViewer>)>();
            for (var t = 0; t < Threads; t++)
            {
                var id = Guid.NewGuid().ToString("N")[..10];
                var owner = "u-" + id;
                await fixture.Cluster.Producer.ConfigureThreadAsync("t-" + id, new ThreadAccess("ws", "proj", owner, [stalledUser]));
                var token = ViewerToken.Sign(fixture.SigningKey, owner, TimeSpan.FromHours(1));
                var viewers = new List<ResumingViewer>();
                for (var v = 0; v < ViewersPerThread; v++)
                {
                    var viewer = await ResumingViewer.Connect([gateway], () => token);
                    await viewer.Join("t-" + id);
                    viewers.Add(viewer);
                }

                threads.Add(("t-" + id, viewers));
            }

            return new ThreadSet(fixture, threads, ViewerToken.Sign(fixture.SigningKey, stalledUser, TimeSpan.FromHours(1)));
        }

        /// <summary>
        /// One stream per thread at <see cref="Rate"/> tokens/s for at least <paramref name="least"/> and until
        /// <paramref name="until"/> holds (at most 90 s), ended and checked on every viewer (each token once, in order,
        /// the full text); returns the viewers' delay from send to shown, p50 and p99 in ms.
        /// </summary>
        public async Task<(double P50, double P99, double Seconds)> Stream(TimeSpan least, Func<Task<bool>>? until, Func<Task>? during)
        {
            var producer = _fixture.Cluster.Producer;
            var streams = await Task.WhenAll(_threads.Select(async t =>
            {
                var streamId = await producer.StartStreamAsync(t.ThreadId, "r-" + Guid.NewGuid().ToString("N")[..10]);
                return (t.ThreadId, StreamId: streamId, Tokens: new List<string>(), SentAt: new List<long>(), t.Viewers);
            }));

            var duringTask = during is null ? Task.CompletedTask : Task.Run(during);
            var sends = new List<Task<long>>();
            var start = Stopwatch.GetTimestamp();
            var next = 0;
            var lastCheck = start;
            var done = false;
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
            while (!done && await timer.WaitForNextTickAsync())
            {
                // A late tick catches up rather than slowing the rate.
                for (var due = (int)(Stopwatch.GetElapsedTime(start).TotalSeconds * Rate) + 1; next < due; next++)
                {
                    foreach (var s in streams)
                    {
                        s.Tokens.Add($"{next + 1}:{Padding} ");
                        s.SentAt.Add(Stopwatch.GetTimestamp());
                        sends.Add(producer.StreamTokenAsync(s.StreamId, s.Tokens[next]));
                    }
                }

                var elapsed = Stopwatch.GetElapsedTime(start);
                if (elapsed >= least && Stopwatch.GetElapsedTime(lastCheck) >= TimeSpan.FromSeconds(1))
                {
                    lastCheck = Stopwatch.GetTimestamp();
                    done = until is null || await until() || elapsed > TimeSpan.FromSeconds(90);
                }
            }

            var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var count = next;
            await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(60));
            foreach (var s in streams)
            {
                await producer.EndStreamAsync(s.StreamId, Summary(s.Tokens));
            }

            await Task.WhenAll(streams.SelectMany(s => s.Viewers.Select(v => v.Stream(s.StreamId).WhenDone))).WaitAsync(TimeSpan.FromSeconds(60));
            await duringTask;

            var delays = new List<double>();
            foreach (var s in streams)
            {
                foreach (var viewer in s.Viewers)
                {
                    var (tokens, fullResponse, incomplete, shownAt) = viewer.Read(s.StreamId,
                        v => (v.Tokens.ToArray(), v.FullResponse, v.Incomplete, Enumerable.Range(1, count).Select(i => v.ShownAt(i)).ToArray()));
                    Assert.Equal(s.Tokens, tokens);
                    Assert.Equal(Summary(s.Tokens), fullResponse);
                    Assert.False(incomplete);
                    delays.AddRange(shownAt.Select((shown, i) => Stopwatch.GetElapsedTime(s.SentAt[i], shown).TotalMilliseconds));
                }
            }

            delays.Sort();
            return (delays[delays.Count / 2], delays[(int)(delays.Count * 0.99)], seconds);
        }

        /// <summary>A full response that stays within the limit however long the run.</summary>
        private static string Summary(List<string> tokens) => $"{tokens.Count} tokens, {tokens.Sum(t => t.Length)} characters";

        public async ValueTask DisposeAsync()
        {
            foreach (var viewer in _threads.SelectMany(t => t.Viewers))
            {
                await viewer.DisposeAsync();
            }
        }
    }
}
