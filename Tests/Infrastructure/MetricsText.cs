namespace ReHome.Tests.Infrastructure;

/// <summary>Reads a gateway's Prometheus text (<c>/metrics</c>).</summary>
public static class MetricsText
{
    /// <summary>The sum of a metric's samples, 0 when it has none yet.</summary>
    public static double Total(string metrics, string name) =>
        metrics.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));

    public static async Task<double> Read(Uri gateway, string name)
    {
        using var http = new HttpClient { BaseAddress = gateway, Timeout = TimeSpan.FromSeconds(10) };
        return Total(await http.GetStringAsync("/metrics"), name);
    }
}
