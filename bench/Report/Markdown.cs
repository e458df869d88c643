using System.Globalization;
using System.Text;
using ReHome.Bench.Scenarios;

namespace ReHome.Bench.Report;

/// <summary>The report as Markdown tables: ReHome against the baseline, with ratios, per scenario.</summary>
internal static class Markdown
{
    public static string Render(BenchReport report)
    {
        var md = new StringBuilder();
        var m = report.Machine;
        md.AppendLine(CultureInfo.InvariantCulture, $"Measured {report.Date:yyyy-MM-dd HH:mm} UTC on {m.Cores} cores ({m.Cpu}), {m.MemoryGb} GB, {m.Runtime}, commit {m.Commit}; load average at start {m.LoadAverageAtStart}; {m.Loopback}.");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Command: `{report.Command}`");
        md.AppendLine();
        md.AppendLine("Settings: " + string.Join(", ", report.Settings.Select(kv => $"{kv.Key}={kv.Value}")));
        md.AppendLine();
        foreach (var section in report.Scenarios)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"### {section.Name}");
            md.AppendLine();
            var live = section.Results.OfType<LiveResult>().ToList();
            if (live.Count > 0)
            {
                Live(md, live);
            }

            var slow = section.Results.OfType<SlowResult>().ToList();
            if (slow.Count > 0)
            {
                SlowMarkdown.Render(md, slow);
            }

            var idle = section.Results.OfType<IdleResult>().ToList();
            if (idle.Count > 0)
            {
                Idle(md, idle);
            }

            var capacity = section.Results.OfType<CapacityResult>().ToList();
            if (capacity.Count > 0)
            {
                Capacity(md, capacity);
            }

            var connections = section.Results.OfType<ConnectionsResult>().ToList();
            if (connections.Count > 0)
            {
                Connections(md, connections);
            }

            var streams = section.Results.OfType<StreamsResult>().ToList();
            if (streams.Count > 0)
            {
                Streams(md, streams);
            }

            var appends = section.Results.OfType<AppendCase>().ToList();
            if (appends.Count > 0)
            {
                Appends(md, appends);
            }

            foreach (var note in section.Notes)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
            }

            md.AppendLine();
        }

        return md.ToString();
    }

    private static void Live(StringBuilder md, List<LiveResult> results)
    {
        var r = results.FirstOrDefault(x => x.Target == "rehome");
        var b = results.FirstOrDefault(x => x.Target == "baseline");
        var any = r ?? b!;
        md.AppendLine(CultureInfo.InvariantCulture, $"{any.Streams} streams × {any.RatePerStream} tokens/s × {any.ViewersPerThread} viewer(s) per thread ({any.Viewers} WebSocket viewers), {any.WarmupSeconds} s warm-up, {any.DurationSeconds} s measured.");
        md.AppendLine();
        md.AppendLine("| | ReHome | baseline | ReHome/baseline |");
        md.AppendLine("|---|---:|---:|---:|");
        Row(md, "offered tokens/s", r?.OfferedPerSecond, b?.OfferedPerSecond);
        Row(md, "delivered tokens/s (all viewers)", r?.DeliveredPerSecond, b?.DeliveredPerSecond);
        Row(md, "delay p50 ms", r?.DelayMs.P50, b?.DelayMs.P50);
        Row(md, "delay p95 ms", r?.DelayMs.P95, b?.DelayMs.P95);
        Row(md, "delay p99 ms", r?.DelayMs.P99, b?.DelayMs.P99);
        Row(md, "delay max ms", r?.DelayMs.Max, b?.DelayMs.Max);
        Text(md, "of which grain → gateway (bucket bound) p50 / p99 ms", r?.ClusterHopP50BucketMs is null ? "" : $"≤ {r.ClusterHopP50BucketMs} / ≤ {r.ClusterHopP99BucketMs}", "");
        Text(md, "feed entries per delivery call (relays → gateway)", r?.FeedEntriesPerDelivery?.ToString(CultureInfo.InvariantCulture) ?? "", "");
        Text(md, "lost / duplicated / out of order / corrupted", r is null ? "" : Errors(r), b is null ? "" : Errors(b));
        Row(md, "server CPU, % of one core", ServerCpu(r), ServerCpu(b));
        Row(md, "server CPU ms per 1,000 delivered", r?.ServerCpuMsPer1kDelivered, b?.ServerCpuMsPer1kDelivered);
        Text(md, "server bytes allocated per token sent", Allocations(r), Allocations(b));
        Text(md, "server peak RSS MB", r is null ? "" : Peaks(r), b is null ? "" : Peaks(b));
        Row(md, "load generator CPU, % of one core", r?.Processes.FirstOrDefault(p => p.Name.StartsWith("bench", StringComparison.Ordinal))?.CpuPercentOfOneCore,
            b?.Processes.FirstOrDefault(p => p.Name.StartsWith("bench", StringComparison.Ordinal))?.CpuPercentOfOneCore);
        Row(md, "load generator lateness p99 ms", r?.SchedulerLagMs.P99, b?.SchedulerLagMs.P99);
        Row(md, "other work on the machine (approx.), % of one core", Others(r), Others(b));
        md.AppendLine();
        foreach (var x in results.Where(x => x.FirstProducerError is not null))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {x.Target}: first producer error: {x.FirstProducerError}");
        }

        foreach (var x in results)
        {
            if (OffSchedule(x) is { } note)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {x.Target}: {note}");
            }
        }
    }

    /// <summary>
    /// Delivery more than 5 % off the schedule means the window did not measure the offered load: above it, the
    /// generator ran late and caught up inside the window; below it, delivery did not keep up.
    /// </summary>
    private static string? OffSchedule(LiveResult x)
    {
        var ratio = x.ExpectedDeliveredPerSecond > 0 ? x.DeliveredPerSecond / x.ExpectedDeliveredPerSecond : 1;
        var rates = $"{Format(x.DeliveredPerSecond)} tokens/s delivered against {Format(x.ExpectedDeliveredPerSecond)} scheduled";
        return ratio switch
        {
            > 1.05 => $"{rates}, with the load generator late by {Format(x.SchedulerLagMs.P99)} ms at p99: the window also carried tokens scheduled before it, so its delay and CPU per 1,000 delivered are not the offered load's. Do not compare this run.",
            < 0.95 => $"{rates}: delivery did not keep up with the offered load.",
            _ => null,
        };
    }

    private static string Errors(LiveResult x) =>
        $"{x.Lost} / {x.Duplicated} / {x.OutOfOrder} / {x.Corrupted}" + (x.DoneMissing + x.ProducerFailures + x.Misnumbered + x.TokensAfterDone > 0
            ? $" (done missing {x.DoneMissing}, producer failures {x.ProducerFailures}, misnumbered {x.Misnumbered}, after done {x.TokensAfterDone})"
            : "");

    private static double? ServerCpu(LiveResult? x) =>
        x is null ? null : Math.Round(x.Processes.Where(p => IsServer(p.Name)).Sum(p => p.CpuPercentOfOneCore), 1);

    private static bool IsServer(string name) => !name.StartsWith("bench", StringComparison.Ordinal) && !name.StartsWith("machine", StringComparison.Ordinal);

    /// <summary>Machine-wide busy CPU minus the bench's own processes: the noise the run shared the cores with.</summary>
    private static double? Others(LiveResult? x) => x?.Processes.FirstOrDefault(p => p.Name.StartsWith("machine", StringComparison.Ordinal)) is { } machine
        ? Math.Round(machine.CpuPercentOfOneCore - x.Processes.Where(p => !p.Name.StartsWith("machine", StringComparison.Ordinal)).Sum(p => p.CpuPercentOfOneCore), 1)
        : null;

    private static string Allocations(LiveResult? x) =>
        x is null ? "" : string.Join(" + ", x.AllocatedBytesPerTokenSent.Select(kv => $"{kv.Value:0} ({kv.Key})"));

    private static string Peaks(LiveResult x) =>
        string.Join(" + ", x.Processes.Where(p => IsServer(p.Name)).Select(p => $"{p.PeakRssMb:0} ({p.Name})"));

    /// <summary>A figure read from the process's metrics endpoint; blank where it has none (Redis).</summary>
    private static string Optional(double value) => double.IsNaN(value) ? "" : Format(value);

    private static void Idle(StringBuilder md, List<IdleResult> results)
    {
        var any = results[0];
        md.AppendLine(CultureInfo.InvariantCulture, $"No streams, no viewers, no producer: {any.WarmupSeconds} s after start, /metrics read for the allocation and work items, then {IdleScenario.ScrapeSettleSeconds} s for that read's own cost to pass, then CPU and context switches over {any.DurationSeconds} s, then /metrics again.");
        md.AppendLine();
        md.AppendLine("| system | process | CPU, % of one core | context switches/s | allocated KB/s | thread-pool work items/s |");
        md.AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (var result in results)
        {
            foreach (var p in result.Processes)
            {
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {result.Target} ({result.Mode}) | {p.Name} | {Format(p.CpuPercentOfOneCore)} | {Format(p.ContextSwitchesPerSecond)} | {Optional(p.AllocatedKbPerSecond)} | {Optional(p.WorkItemsPerSecond)} |");
            }
        }

        md.AppendLine();
    }

    private static void Capacity(StringBuilder md, List<CapacityResult> results)
    {
        var r = results.FirstOrDefault(x => x.Target == "rehome");
        var b = results.FirstOrDefault(x => x.Target == "baseline");
        var any = r ?? b!;
        md.AppendLine(CultureInfo.InvariantCulture, $"Offered load stepped up (streams × {any.RatePerStream} tokens/s, one viewer each); a step passes with delay p99 ≤ {any.TargetP99Ms} ms and nothing lost, duplicated or reordered.");
        md.AppendLine(CultureInfo.InvariantCulture, $"Before the first step each system ran {CapacityScenario.WarmupStreams} streams at the same rate for {CapacityScenario.WarmupSeconds} s, not measured, so that the steps find its code compiled.");
        foreach (var unclean in results.Where(x => !x.WarmupClean))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"**{unclean.Target}'s warm-up lost, duplicated or reordered tokens.**");
        }

        md.AppendLine();
        md.AppendLine("| | ReHome | baseline | ReHome/baseline |");
        md.AppendLine("|---|---:|---:|---:|");
        Row(md, "capacity, tokens/s", r?.CapacityTokensPerSecond, b?.CapacityTokensPerSecond);
        Row(md, "capacity, streams", r?.CapacityStreams, b?.CapacityStreams);
        md.AppendLine();
        md.AppendLine("| system | streams | offered/s | delivered/s | p50 ms | p99 ms | server CPU % | clean | passed |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---|---|");
        foreach (var result in results)
        {
            foreach (var step in result.Steps)
            {
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {result.Target} | {step.Streams} | {Format(step.OfferedPerSecond)} | {Format(step.DeliveredPerSecond)} | {Format(step.DelayMs.P50)} | {Format(step.DelayMs.P99)} | {Format(step.ServerCpuPercent)} | {(step.Clean ? "yes" : "NO")} | {(step.Passed ? "yes" : "no")} |");
            }
        }

        md.AppendLine();
    }

    private static void Connections(StringBuilder md, List<ConnectionsResult> results)
    {
        var r = results.FirstOrDefault(x => x.Target == "rehome");
        var b = results.FirstOrDefault(x => x.Target == "baseline");
        md.AppendLine("| | ReHome gateway | baseline | ReHome/baseline |");
        md.AppendLine("|---|---:|---:|---:|");
        Row(md, "idle authenticated connections", r?.Connected, b?.Connected);
        Row(md, "connect time s", r?.ConnectSeconds, b?.ConnectSeconds);
        Row(md, "managed heap per connection, bytes", r?.HeapBytesPerConnection, b?.HeapBytesPerConnection);
        Row(md, "live objects per connection (heap less free space), bytes", r?.LiveBytesPerConnection, b?.LiveBytesPerConnection);
        Row(md, "RSS per connection, bytes", r?.RssBytesPerConnection, b?.RssBytesPerConnection);
        md.AppendLine();
        foreach (var x in results.Where(x => x.Failed > 0))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {x.Target}: {x.Failed} connections failed: {x.FirstError}");
        }
    }

    private static void Streams(StringBuilder md, List<StreamsResult> results)
    {
        var r = results.FirstOrDefault(x => x.Target == "rehome");
        var b = results.FirstOrDefault(x => x.Target == "baseline");
        md.AppendLine("| | ReHome stream host | baseline | ReHome/baseline |");
        md.AppendLine("|---|---:|---:|---:|");
        Row(md, "open streams × tokens", r?.Streams, b?.Streams);
        Row(md, "managed heap per stream, bytes", r?.HeapBytesPerStream, b?.HeapBytesPerStream);
        Row(md, "of which token text (2 B per UTF-16 unit), bytes", r?.TextBytesPerStream, b?.TextBytesPerStream);
        Row(md, "managed heap per stream excluding text, bytes", r?.HeapBytesPerStreamExcludingText, b?.HeapBytesPerStreamExcludingText);
        Row(md, "live objects per stream excluding text (heap less free space), bytes", r?.LiveBytesPerStreamExcludingText, b?.LiveBytesPerStreamExcludingText);
        Row(md, "RSS per stream, bytes", r?.RssBytesPerStream, b?.RssBytesPerStream);
        Row(md, "Redis memory delta MB", r?.RedisDeltaMb, b?.RedisDeltaMb);
        Row(md, "setup s", r?.SetupSeconds, b?.SetupSeconds);
        md.AppendLine();
    }

    private static void Appends(StringBuilder md, List<AppendCase> cases)
    {
        md.AppendLine("| case | calls/s | tokens/s | latency p50 ms | p99 ms | silo CPU % | bench CPU % | failures |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var c in cases)
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {c.Case} | {c.CallsPerSecond:N0} | {c.TokensPerSecond:N0} | {c.LatencyMs.P50} | {c.LatencyMs.P99} | {c.SiloCpuPercent} | {c.BenchCpuPercent} | {c.Failures} |");
        }

        md.AppendLine();
    }

    private static void Row(StringBuilder md, string name, double? r, double? b) =>
        md.AppendLine(CultureInfo.InvariantCulture,
            $"| {name} | {Format(r)} | {Format(b)} | {(r is { } x && b is { } y && y != 0 ? (x / y).ToString("0.00", CultureInfo.InvariantCulture) + "×" : "")} |");

    private static void Text(StringBuilder md, string name, string r, string b) => md.AppendLine($"| {name} | {r} | {b} | |");

    private static string Format(double? v) => v switch
    {
        null => "",
        >= 1000 => v.Value.ToString("N0", CultureInfo.InvariantCulture),
        _ => v.Value.ToString("0.##", CultureInfo.InvariantCulture),
    };
}
