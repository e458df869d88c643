using System.Diagnostics;
using ReHome.Bench.Measure;

namespace ReHome.Bench.Hosting;

/// <summary>
/// A process the bench started (silo, gateway, baseline server, redis-server), with its output in a log file.
/// It is stopped by its own PID and nothing else.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private ChildProcess(string name, Process process, StreamWriter log, string? httpBase)
    {
        Name = name;
        _process = process;
        _log = log;
        HttpBase = httpBase;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    /// <summary>The process's HTTP base address (health, metrics), when it has one.</summary>
    public string? HttpBase { get; }

    /// <summary>True for .NET processes, whose GC can be induced and whose heap is read from /metrics.</summary>
    public bool IsDotnet { get; private init; }

    public bool HasExited => _process.HasExited;

    public static ChildProcess StartDotnet(string name, string assembly, IEnumerable<string> args, IDictionary<string, string> env, string logDir, string httpBase)
    {
        var start = new ProcessStartInfo("dotnet") { ArgumentList = { assembly } };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Settings come from the bench alone, never from the caller's shell or a launch profile.
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in env)
        {
            start.Environment[key] = value;
        }

        return Start(name, start, logDir, httpBase, isDotnet: true);
    }

    public static ChildProcess StartNative(string name, string file, IEnumerable<string> args, string logDir)
    {
        var start = new ProcessStartInfo(file);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Start(name, start, logDir, httpBase: null, isDotnet: false);
    }

    private static ChildProcess Start(string name, ProcessStartInfo start, string logDir, string? httpBase, bool isDotnet)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        Directory.CreateDirectory(logDir);
        var log = new StreamWriter(Path.Combine(logDir, name + ".log"), append: true) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{name} did not start.");
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProcess(name, process, log, httpBase) { IsDotnet = isDotnet };
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }

    /// <summary>Waits until <paramref name="path"/> answers 200, or fails when the process dies or the deadline passes.</summary>
    public async Task WaitHealthy(string path, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode}; see its log.");
            }

            try
            {
                using var response = await http.GetAsync(HttpBase + path);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"{Name} was not healthy at {path} within {timeout}.");
            }

            await Task.Delay(100);
        }
    }

    public ProcessSample Sample() => new(Name, Pid, ProcStats.CpuSeconds(Pid), ProcStats.Rss(Pid), ProcStats.PeakRss(Pid));

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }
}
