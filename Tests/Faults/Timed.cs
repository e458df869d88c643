using System.Diagnostics;

namespace ReHome.Tests.Faults;

/// <summary>How a call made during a fault ended, and how long it took, for the fault report.</summary>
internal static class Timed
{
    public static async Task<(string Outcome, TimeSpan Took)> Outcome(Func<Task> call)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await call();
            return ("success", Stopwatch.GetElapsedTime(started));
        }
        catch (Exception ex)
        {
            var code = ex is ReHomeException typed ? $" ({typed.Code})" : "";
            return ($"{ex.GetType().Name}{code}: {ex.Message.Split('\n')[0]}", Stopwatch.GetElapsedTime(started));
        }
    }
}
