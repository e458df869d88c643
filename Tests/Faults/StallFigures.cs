using System.Globalization;

namespace ReHome.Tests.Faults;

/// <summary>
/// Viewers' longest stalls as a distribution, and a CSV of every one (<c>fault-stalls.csv</c> beside
/// <c>fault-report.txt</c>) so the figures of many runs can be pooled:
/// <c>awk -F, 'NR>1 &amp;&amp; $2=="silo kill -9" {print $6}' fault-stalls.csv | sort -n</c>.
/// </summary>
internal static class StallFigures
{
    public static string File => Path.Combine(AppContext.BaseDirectory, "fault-stalls.csv");

    private static readonly object Gate = new();

    /// <summary>"p50/p90/p99/max ms" of the stalls (nearest rank).</summary>
    public static string Describe(IReadOnlyCollection<TimeSpan> stalls)
    {
        if (stalls.Count == 0)
        {
            return "none";
        }

        var sorted = stalls.Select(s => s.TotalMilliseconds).Order().ToArray();
        return string.Create(CultureInfo.InvariantCulture,
            $"p50 {Rank(sorted, 0.50):0} / p90 {Rank(sorted, 0.90):0} / p99 {Rank(sorted, 0.99):0} / max {sorted[^1]:0} ms (n={sorted.Length})");
    }

    /// <summary>Appends one row per viewer: time, test, stream, viewer, whether its stream was on the failed part, stall in ms.</summary>
    public static void Record(string test, IEnumerable<(string StreamId, int Viewer, bool OnFailed, TimeSpan Stall)> stalls)
    {
        var at = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        var rows = stalls.Select(s => string.Create(CultureInfo.InvariantCulture,
            $"{at},{test},{s.StreamId},{s.Viewer},{(s.OnFailed ? 1 : 0)},{s.Stall.TotalMilliseconds:0}"));
        lock (Gate)
        {
            if (!System.IO.File.Exists(File))
            {
                System.IO.File.WriteAllText(File, "time,test,stream,viewer,on_failed,stall_ms" + Environment.NewLine);
            }

            System.IO.File.AppendAllLines(File, rows);
        }
    }

    private static double Rank(double[] sorted, double quantile) =>
        sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
}
