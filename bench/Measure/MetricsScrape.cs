using System.Globalization;
using ReHome.Bench.Hosting;

namespace ReHome.Bench.Measure;

/// <summary>Reads a process's Prometheus text at <c>/metrics</c>.</summary>
internal static class MetricsScrape
{
    /// <summary>The value of the first sample of <paramref name="metric"/>, or null when the process has no such metric or does not answer.</summary>
    public static async Task<long?> Total(ChildProcess process, string metric)
    {
        if (process.HttpBase is null || !process.IsDotnet)
        {
            return null;
        }

        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var text = await http.GetStringAsync(process.HttpBase + "/metrics");
            var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(metric, StringComparison.Ordinal));
            return line is null ? null : (long)Value(line);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
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
