using System.Diagnostics;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using ReHome.Bench.Hosting;
using ReHome.Bench.Load;
using ReHome.Bench.Measure;

namespace ReHome.Bench.Scenarios;

public sealed record RefusedRound(
    string Target,
    string Kind,
    int Round,
    int Calls,
    double Seconds,
    Percentiles LatencyMs,
    double GatewayCpuSeconds,
    double SiloCpuSeconds,
    long GatewayHeapAfterBytes,
    long SiloHeapAfterBytes,
    int Unrefused,
    IReadOnlyDictionary<string, int> Answers,
    long? RedisKeysAfter);

/// <summary>
/// The cost of refused hub calls from one connection: rounds of 10,000 <c>JoinThread</c> calls, one in flight, on
/// ids the caller may not watch, timed per call. A flat cost shows as equal rounds; a cost that grows (state kept per
/// refused id) shows as later rounds slower and heaps larger. Kinds: <c>unknown</c> (a fresh, never-configured
/// thread id per call), <c>foreign</c> (one thread owned by someone else), <c>get-tokens</c> (unknown stream ids).
/// The per-connection invocation quota is lifted so the refusal itself is measured, not the rate limiter.
/// </summary>
internal sealed class RefusedScenario(BenchOptions options, Jwt jwt, Profiler profiler)
{
    public const int CallsPerRound = 10_000;
    public const int Rounds = 3;

    /// <summary>Settings the target needs: the hub invocation quota out of the way of 10,000 calls in a few seconds.</summary>
    public static readonly Dictionary<string, string> Env = new()
    {
        ["Quotas__HubInvocationsPerSecond"] = "1000000",
        ["Quotas__HubInvocationBurst"] = "1000000",
    };

    public async Task<List<RefusedRound>> Run(ITarget target, string tag)
    {
        var gateway = target.ConnectionHost;
        var silo = target.StreamHost;
        var connection = new HubConnectionBuilder()
            .WithUrl(target.HubUrl, o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(jwt.ForUser($"mallory-{tag}"));
                o.Transports = HttpTransportType.WebSockets;
            })
            .Build();
        await connection.StartAsync();
        var foreignThread = $"t{tag}-foreign";
        if (target is ReHomeTarget rehome)
        {
            var producer = (await rehome.Client()).Services.GetRequiredService<ReHome.Producer.IStreamProducer>();
            await producer.ConfigureThreadAsync(foreignThread, new ThreadAccess(null, null, $"alice-{tag}", []));
        }

        var rounds = new List<RefusedRound>();
        try
        {
            // Warm-up: JIT and first-use costs of every path, not reported.
            for (var i = 0; i < 200; i++)
            {
                await Call(connection, "unknown", $"w{tag}-{i}", foreignThread);
                await Call(connection, "foreign", $"w{tag}-{i}", foreignThread);
                await Call(connection, "get-tokens", $"w{tag}-{i}", foreignThread);
            }

            foreach (var kind in new[] { "unknown", "foreign", "get-tokens" })
            {
                for (var round = 1; round <= Rounds; round++)
                {
                    if (round == 2 && kind == "unknown" && profiler.Enabled)
                    {
                        // --profile: on-CPU stacks of a steady-state round (the first one still warms up).
                        profiler.Start(target, 8);
                    }

                    var result = await Round(target.Name, connection, gateway, silo, kind, round, $"{tag}-{kind}-{round}", foreignThread);
                    rounds.Add(result with { RedisKeysAfter = await RedisKeys(target) });
                    if (round == 2 && kind == "unknown")
                    {
                        await profiler.Finish();
                    }
                }
            }
        }
        finally
        {
            await connection.DisposeAsync();
        }

        if (options.GcDump)
        {
            // What the heaps hold after every round: dotnet-gcdump's per-type summary beside the report.
            foreach (var process in new[] { gateway, silo }.DistinctBy(p => p.Pid))
            {
                await GcProbe.Dump(process, profiler.Directory, $"{target.Name}-refused-{process.Name}-{tag}");
            }
        }

        return rounds;
    }

    private static async Task<RefusedRound> Round(
        string targetName, HubConnection connection, ChildProcess gateway, ChildProcess silo, string kind, int round, string prefix, string foreignThread)
    {
        var latency = new Histogram();
        var answers = new SortedDictionary<string, int>();
        var gatewayCpu = ProcStats.CpuSeconds(gateway.Pid);
        var siloCpu = ProcStats.CpuSeconds(silo.Pid);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < CallsPerRound; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var answer = await Call(connection, kind, $"{prefix}-{i}", foreignThread);
            latency.Record((long)Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            answers[answer] = answers.GetValueOrDefault(answer) + 1;
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var gatewayCpuUsed = ProcStats.CpuSeconds(gateway.Pid) - gatewayCpu;
        var siloCpuUsed = silo.Pid == gateway.Pid ? 0 : ProcStats.CpuSeconds(silo.Pid) - siloCpu;
        var gatewayHeap = await GcProbe.HeapAfterFullGc(gateway);
        var siloHeap = silo.Pid == gateway.Pid ? gatewayHeap : await GcProbe.HeapAfterFullGc(silo);
        return new RefusedRound(targetName, kind, round, CallsPerRound, Math.Round(seconds, 2), Percentiles.Of(latency),
            Math.Round(gatewayCpuUsed, 2), Math.Round(siloCpuUsed, 2), gatewayHeap, siloHeap, answers.GetValueOrDefault("accepted"), answers, null);
    }

    /// <summary>Keys in Redis (cluster mode): a refused call must not store anything.</summary>
    private static async Task<long?> RedisKeys(ITarget target)
    {
        if (target is not ReHomeTarget { RedisAddress: { } address })
        {
            return null;
        }

        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(address);
        return await redis.GetServers()[0].DatabaseSizeAsync();
    }

    /// <summary>One call; returns the refusal's code (the server message's first word), or "accepted".</summary>
    private static async Task<string> Call(HubConnection connection, string kind, string id, string foreignThread)
    {
        try
        {
            switch (kind)
            {
                case "unknown":
                    await connection.InvokeAsync<object[]>(HubContract.JoinThread, "t-none-" + id);
                    break;
                case "foreign":
                    await connection.InvokeAsync<object[]>(HubContract.JoinThread, foreignThread);
                    break;
                default:
                    await connection.InvokeAsync<object>(HubContract.GetTokens, "s-none-" + id, 0L);
                    break;
            }

            return "accepted";
        }
        catch (HubException ex)
        {
            return HubRefusal.Code(ex);
        }
    }
}
