using System.Globalization;
using ReHome.Bench.Hosting;

namespace ReHome.Bench.Measure;

/// <summary>Reads a process's Prometheus text at <c>/metrics</c>.</summary>
internal static class MetricsScrape
{
    /// <summary>The value of the first sample of <paramref name="metric"/>, or null when the process has no such metric or does not answer.</summary>
    public static async Task<long?> Total(ChildProcess process, string metric) =>
        (await Totals(process, metric)).TryGetValue(metric, out var value) ? value : null;

    /// <summary>
    /// The first sample of each of <paramref name="metrics"/> from one read of /metrics: each read costs the process
    /// CPU of its own. A metric the process lacks, or all of them when it does not answer, is left out.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, long>> Totals(ChildProcess process, params string[] metrics)
    {
        var totals = new Dictionary<string, long>();
        if (process.HttpBase is null || !process.IsDotnet)
        {
            return totals;
        }

        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var lines = (await http.GetStringAsync(process.HttpBase + "/metrics")).Split('\n');
            foreach (var metric in metrics)
            {
                if (lines.FirstOrDefault(l => l.StartsWith(metric, StringComparison.Ordinal)) is { } line)
                {
                    totals[metric] = (long)Value(line);
                }
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
        }

        return totals;
    }

    public static double Value(string line)
    {
        var parts = line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ');
        if (line.IndexOf('}') < 0)
        {
            parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..];
        }

        return double.Parse(parts[0], CultureInfo.InvariantCulture);
    }
}
