namespace ReHome.Bench.Measure;

/// <summary>CPU time and memory of a process, read from <c>/proc/&lt;pid&gt;</c> (Linux).</summary>
internal static class ProcStats
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    /// <summary>User plus system CPU time the process has used, in seconds.</summary>
    public static double CpuSeconds(int pid)
    {
        // Fields after the command name (which may hold spaces) start at field 3; utime and stime are fields 14 and 15.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond;
    }

    /// <summary>
    /// CPU seconds the whole machine has spent busy (all cores; everything but idle and iowait), from /proc/stat.
    /// Against the sum of the bench's own processes it shows how much other work shared the cores.
    /// </summary>
    public static double MachineBusySeconds()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long busy = 0;
        for (var i = 1; i < fields.Length && i <= 8; i++)
        {
            if (i is not (4 or 5))
            {
                busy += long.Parse(fields[i]);
            }
        }

        return busy / TicksPerSecond;
    }

    /// <summary>
    /// Context switches of each of the process's live threads so far (voluntary and not), by thread id: each is a
    /// thread that went to sleep or was preempted, so their rate while idle counts wake-ups.
    /// </summary>
    public static Dictionary<int, long> ContextSwitches(int pid)
    {
        var threads = new Dictionary<int, long>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                long switches = 0;
                foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                {
                    if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal)
                        || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                    {
                        switches += long.Parse(line[(line.IndexOf(':') + 1)..].Trim());
                    }
                }

                threads[int.Parse(Path.GetFileName(task))] = switches;
            }
            catch (IOException)
            {
                // The thread ended while being read.
            }
        }

        return threads;
    }

    /// <summary>
    /// Context switches between two readings of <see cref="ContextSwitches"/>: those of threads alive at the end (a
    /// thread that started meanwhile counts from zero). A thread that ended meanwhile is left out, so the figure can
    /// be low by its switches, never negative, as a plain difference of sums was when the thread pool retired a worker.
    /// </summary>
    public static long ContextSwitchesBetween(Dictionary<int, long> start, Dictionary<int, long> end) =>
        end.Sum(thread => thread.Value - start.GetValueOrDefault(thread.Key));

    /// <summary>Resident set size now, in bytes.</summary>
    public static long Rss(int pid) => StatusKb(pid, "VmRSS:") * 1024;

    /// <summary>Peak resident set size since start or the last <see cref="ResetPeak"/>, in bytes.</summary>
    public static long PeakRss(int pid) => StatusKb(pid, "VmHWM:") * 1024;

    /// <summary>Resets the peak RSS mark, so the next <see cref="PeakRss"/> covers only what follows.</summary>
    public static void ResetPeak(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
        }
        catch (IOException)
        {
            // Not permitted here: the peak then covers the process's whole life, which the report says.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static long StatusKb(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return long.Parse(line[field.Length..].Trim().Split(' ')[0]);
            }
        }

        return 0;
    }
}
