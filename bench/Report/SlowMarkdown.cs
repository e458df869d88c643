using System.Globalization;
using System.Text;
using ReHome.Bench.Scenarios;

namespace ReHome.Bench.Report;

/// <summary>The <c>slow</c> scenario's table: the other viewers' delay without and with a stalled viewer per thread.</summary>
internal static class SlowMarkdown
{
    public static void Render(StringBuilder md, IEnumerable<SlowResult> results)
    {
        md.AppendLine("| target | stalled viewers | other viewers' delay p50 / p95 / p99 / max ms | with ÷ without (p50, p99) | lost / dup / ooo / corrupted | server CPU ms per 1,000 delivered |");
        md.AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            Row(md, r.Target, "none", r.Without, null);
            Row(md, r.Target, $"1 per thread ({r.StalledViewers}; {r.StalledConnections} stalls, {r.StalledConnectFailures} failed connects)", r.With, r.Without);
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture,
                $"- {r.Target}: over the run with stalled viewers the gateway counted {r.GatewayBehind} connections behind and {r.GatewaySlowDisconnects} slow disconnects; delivered {r.With.DeliveredPerSecond}/s of {r.With.ExpectedDeliveredPerSecond}/s to the other viewers.");
        }
    }

    private static void Row(StringBuilder md, string target, string stalled, LiveResult x, LiveResult? without)
    {
        var d = x.DelayMs;
        var ratio = without is null ? "" : $"{Ratio(d.P50, without.DelayMs.P50)} / {Ratio(d.P99, without.DelayMs.P99)}";
        md.AppendLine(CultureInfo.InvariantCulture,
            $"| {target} | {stalled} | {d.P50} / {d.P95} / {d.P99} / {d.Max} | {ratio} | {x.Lost} / {x.Duplicated} / {x.OutOfOrder} / {x.Corrupted} | {x.ServerCpuMsPer1kDelivered} |");
    }

    private static string Ratio(double a, double b) => b > 0 ? (a / b).ToString("0.00×", CultureInfo.InvariantCulture) : "–";
}
