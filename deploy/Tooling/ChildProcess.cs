using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ReHome.Tooling;

/// <summary>
/// A process the tests, the bench or an operator's script start (silo, gateway, baseline server, redis-server), with
/// its output appended to a log file. It can be killed (SIGKILL), stopped (SIGTERM) and started again with the same
/// settings, so the same ports. It is stopped by its own PID and nothing else. Whatever is still running when this
/// process exits (Ctrl-C or SIGTERM of the bench, a test host that dies) is killed with it, so no silo or gateway is
/// left behind to hold ports and CPU that the next run needs.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private const string StartMarker = "==== start ";

    private static readonly ConcurrentDictionary<ChildProcess, byte> Started = new();

    private readonly string _file;
    private readonly IReadOnlyList<string> _arguments;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly string _workingDirectory;
    private Process? _process;

    static ChildProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillStarted();

    private ChildProcess(string name, string file, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, string logDirectory,
        bool isDotnet, string workingDirectory)
    {
        Name = name;
        _file = file;
        _arguments = arguments;
        _environment = environment;
        IsDotnet = isDotnet;
        _workingDirectory = workingDirectory;
        Directory.CreateDirectory(logDirectory);
        LogFile = Path.Combine(logDirectory, name + ".log");
    }

    public string Name { get; }

    public string LogFile { get; }

    /// <summary>True for .NET apps, whose GC can be induced and whose heap is read from <c>/metrics</c>.</summary>
    public bool IsDotnet { get; }

    /// <summary>The app's HTTP base address (health, metrics), when it has one.</summary>
    public string? HttpBase { get; init; }

    public bool IsRunning => _process is { HasExited: false };

    public int Pid => _process?.Id ?? throw new InvalidOperationException($"{Name} was never started.");

    /// <summary>When it was last started (UTC).</summary>
    public DateTime StartedAt { get; private set; }

    /// <summary>The exit code once it has exited.</summary>
    public int? ExitCode => _process is { HasExited: true } process ? process.ExitCode : null;

    /// <summary>The dotnet host running this process (the SDK sets DOTNET_HOST_PATH), else dotnet from PATH.</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>
    /// A built ReHome app (<c>dotnet App.dll args</c>), not yet started. Its settings are <paramref name="environment"/>
    /// over the Production environment, never a launch profile or the caller's <c>ASPNETCORE_ENVIRONMENT</c>. It runs
    /// in <paramref name="workingDirectory"/>, by default the app's own folder.
    /// </summary>
    public static ChildProcess Dotnet(string name, string dll, IReadOnlyDictionary<string, string> environment, string logDirectory,
        IEnumerable<string>? arguments = null, string? httpBase = null, string? workingDirectory = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
        };
        foreach (var (key, value) in environment)
        {
            settings[key] = value;
        }

        return new ChildProcess(name, DotnetHost, [dll, .. arguments ?? []], settings, logDirectory, isDotnet: true,
            workingDirectory ?? Path.GetDirectoryName(dll)!) { HttpBase = httpBase };
    }

    /// <summary>A native program (redis-server), not yet started.</summary>
    public static ChildProcess Native(string name, string file, IEnumerable<string> arguments, string logDirectory) =>
        new(name, file, [.. arguments], new Dictionary<string, string>(), logDirectory, isDotnet: false, Environment.CurrentDirectory);

    /// <summary>Starts the process; a no-op while it runs.</summary>
    public ChildProcess Start()
    {
        if (IsRunning)
        {
            return this;
        }

        _process?.Dispose();
        StartedAt = DateTime.UtcNow;
        File.AppendAllText(LogFile, $"{StartMarker}{StartedAt:O}{Environment.NewLine}");
        // exec: the shell only redirects the output to the log; the PID is the program's own.
        var start = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", "log=\"$1\"; shift; exec \"$@\" >> \"$log\" 2>&1", Name, LogFile, _file },
            WorkingDirectory = _workingDirectory,
            UseShellExecute = false,
        };
        foreach (var argument in _arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"{Name} did not start.");
        Started[this] = 0;
        return this;
    }

    /// <summary>
    /// Polls <see cref="HttpBase"/> + <paramref name="path"/> as an orchestrator's probe does until it answers 2xx; fails
    /// when the process exits or <paramref name="timeout"/> (90 s) passes.
    /// </summary>
    public async Task WaitHealthy(string path, TimeSpan? timeout = null)
    {
        var url = (HttpBase ?? throw new InvalidOperationException($"{Name} has no HTTP address.")).TrimEnd('/') + path;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(url);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            if (!IsRunning || deadline.Elapsed > (timeout ?? TimeSpan.FromSeconds(90)))
            {
                throw new InvalidOperationException(
                    $"{Name} {(IsRunning ? "is not ready in time" : "exited")} ({url}).{Environment.NewLine}{FirstErrors()}" +
                    $"Its log ends:{Environment.NewLine}{Tail()}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>kill -9: no shutdown code runs.</summary>
    public async Task Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    /// <summary>SIGTERM, as an orchestrator stops a process, then waits for it to exit.</summary>
    public async Task Terminate(TimeSpan timeout)
    {
        if (_process is { HasExited: false } process)
        {
            Terminate(process);
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
    }

    public static void Terminate(Process process) => Signal(process, SigTerm);

    /// <summary>Sends a POSIX signal (SIGTERM 15, SIGSTOP 19, SIGCONT 18 on Linux).</summary>
    public static void Signal(Process process, int signal)
    {
        if (kill(process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {process.Id} failed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    /// <summary>
    /// The first error lines logged since the last start, for a failure message: what went wrong first is often far
    /// above the tail (a failed bind, say, followed by pages of shutdown errors).
    /// </summary>
    public string FirstErrors(int lines = 5)
    {
        if (!File.Exists(LogFile))
        {
            return "";
        }

        var sinceStart = File.ReadLines(LogFile).Reverse().TakeWhile(line => !line.StartsWith(StartMarker, StringComparison.Ordinal)).Reverse();
        var errors = sinceStart.Where(line => line.Contains(" fail: ", StringComparison.Ordinal) || line.Contains(" crit: ", StringComparison.Ordinal)
            || line.StartsWith("Unhandled exception", StringComparison.Ordinal)).Take(lines).ToList();
        return errors.Count == 0 ? "" : $"Its first errors:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}{Environment.NewLine}";
    }

    /// <summary>The last lines of the log, for a failure message.</summary>
    public string Tail(int lines = 30) =>
        File.Exists(LogFile) ? string.Join(Environment.NewLine, File.ReadLines(LogFile).TakeLast(lines)) : "(no log)";

    public async ValueTask DisposeAsync()
    {
        await Kill();
        Started.TryRemove(this, out _);
        _process?.Dispose();
    }

    private static void KillStarted()
    {
        foreach (var child in Started.Keys)
        {
            try
            {
                child._process?.Kill();
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Exited already, or never started.
            }
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
