using System.Globalization;
using ReHome.Bench.Hosting;
using ReHome.Bench.Load;
using ReHome.Bench.Measure;

namespace ReHome.Bench.Scenarios;

/// <summary>
/// <c>slow</c>: light's load (10 streams × 50 tokens/s × 1 viewer) twice on the same target, first alone, then with
/// one <see cref="StalledViewer"/> on every thread; the other viewers' delay is what is compared. ReHome only: the
/// baseline server has no <c>GetTokens</c> to fill a stalled viewer's socket with.
/// </summary>
internal sealed class SlowScenario(BenchOptions options, Jwt jwt, Profiler profiler)
{
    /// <summary>Unread answers of about 1 MB each: more than the loopback socket buffers and pipes hold.</summary>
    private const int Fills = 6;

    public async Task<SlowResult> Run(ITarget target, string tag)
    {
        var spec = LiveSpec.For("light", options) with { Name = "slow" };
        var live = new LiveScenario(options, jwt, profiler);
        var without = await live.Run(target, spec, tag + "a");

        var gateway = target.ConnectionHost.HttpBase;
        var before = await Counters(gateway);
        StalledViewer[] stalled = [];
        var with = await live.Run(target, spec, tag + "b", async (producer, threads) =>
        {
            var ballast = await Ballast(producer, tag, [.. threads.Select(t => t.Owner)]);
            stalled = [.. threads.Select(t => new StalledViewer(new Uri(target.HubUrl), jwt.ForUser(t.Owner), t.ThreadId, ballast, Fills))];
            await Bounded.Until(() => stalled.All(s => s.Connections > 0 || s.Failures > 0), TimeSpan.FromSeconds(30));
            return new Stalled(stalled);
        });
        var after = await Counters(gateway);

        return new SlowResult
        {
            Target = target.Name,
            Without = without,
            With = with,
            StalledViewers = stalled.Length,
            StalledConnections = stalled.Sum(s => s.Connections),
            StalledConnectFailures = stalled.Sum(s => s.Failures),
            GatewayBehind = after.Behind - before.Behind,
            GatewaySlowDisconnects = after.Disconnects - before.Disconnects,
        };
    }

    /// <summary>A stream with about 1 MB of history, on a thread of its own that every stalled viewer may watch.</summary>
    private static async Task<string> Ballast(IProducerDriver producer, string tag, string[] readers)
    {
        var (threadId, streamId) = ($"t{tag}-ballast", $"s{tag}-ballast");
        await producer.ConfigureThread(threadId, $"u{tag}-ballast", readers);
        await producer.StartStream(threadId, $"r{tag}-ballast", streamId);
        var token = new string('b', 1000);
        var sends = new List<Task<long>>();
        for (var i = 0; i < 1000; i++)
        {
            sends.Add(producer.Send(streamId, token));
        }

        await Task.WhenAll(sends);
        await producer.End(streamId, sends.Count);
        return streamId;
    }

    private static async Task<(double Behind, double Disconnects)> Counters(string? gateway)
    {
        if (gateway is null)
        {
            return (0, 0);
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var text = await http.GetStringAsync(gateway + "/metrics");
        return (Total(text, "rehome_gateway_connections_behind_total"), Total(text, "rehome_gateway_slow_disconnects_total"));
    }

    private static double Total(string metrics, string name) =>
        metrics.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    private sealed class Stalled(StalledViewer[] viewers) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var viewer in viewers)
            {
                await viewer.DisposeAsync();
            }
        }
    }
}
