using System.Globalization;

namespace ReHome.Bench.Measure;

/// <summary>
/// The gateway's own <c>rehome_gateway_delivery_delay</c> histogram (grain numbering → handed to SignalR), read
/// from /metrics before and after the window, so a report can split the end-to-end delay into the cluster hop and
/// the SignalR hop. Percentiles are bucket upper bounds, so they are coarse.
/// </summary>
internal static class GatewayDelay
{
    /// <summary>The histogram summed over every ReHome process that takes viewers; null for the baseline, which has none.</summary>
    public static async Task<SortedDictionary<double, long>?> Read(Hosting.ITarget target)
    {
        if (target is not Hosting.ReHomeTarget)
        {
            return null;
        }

        var buckets = new SortedDictionary<double, long>();
        foreach (var host in target.ConnectionHosts)
        {
            if (!await Add(host.HttpBase!, buckets))
            {
                return null;
            }
        }

        return buckets;
    }

    private static async Task<bool> Add(string httpBase, SortedDictionary<double, long> buckets)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        string text;
        try
        {
            text = await http.GetStringAsync(httpBase + "/metrics");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }

        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith("rehome_gateway_delivery_delay", StringComparison.Ordinal) || !line.Contains("_bucket{", StringComparison.Ordinal))
            {
                continue;
            }

            var le = line[(line.IndexOf("le=\"", StringComparison.Ordinal) + 4)..];
            le = le[..le.IndexOf('"')];
            var bound = le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);
            var count = long.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            buckets[bound] = buckets.GetValueOrDefault(bound) + count;
        }

        return true;
    }

    /// <summary>The upper bound of the bucket holding percentile <paramref name="p"/> of what was recorded between the two reads.</summary>
    public static double? Percentile(SortedDictionary<double, long>? before, SortedDictionary<double, long>? after, double p)
    {
        if (before is null || after is null || after.Count == 0)
        {
            return null;
        }

        var total = after.Last().Value - before.GetValueOrDefault(after.Last().Key);
        if (total <= 0)
        {
            return null;
        }

        foreach (var (bound, cumulative) in after)
        {
            if (cumulative - before.GetValueOrDefault(bound) >= p / 100 * total)
            {
                return bound;
            }
        }

        return null;
    }
}
