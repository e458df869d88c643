using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ReHome.Tests.Infrastructure;

/// <summary>
/// A built ReHome app run as its own process (<c>dotnet path/to/App.dll</c>), with its settings in the
/// environment and its output in a log file. It can be killed (SIGKILL), stopped (SIGTERM) and started again
/// with the same settings, so the same ports.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int SigTerm = 15;

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(3) };

    private readonly string _dll;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly string _workingDirectory;
    private Process? _process;

    /// <param name="workingDirectory">Where it is started from; by default the app's own folder.</param>
    public ChildProcess(string name, string dll, IReadOnlyDictionary<string, string> environment, string logDirectory, string? workingDirectory = null)
    {
        Name = name;
        _dll = dll;
        _environment = environment;
        _workingDirectory = workingDirectory ?? Path.GetDirectoryName(dll)!;
        LogFile = Path.Combine(logDirectory, name + ".log");
    }

    public string Name { get; }

    public string LogFile { get; }

    public bool IsRunning => _process is { HasExited: false };

    public int? Pid => _process?.Id;

    /// <summary>When it was last started (UTC).</summary>
    public DateTime StartedAt { get; private set; }

    public void Start()
    {
        if (IsRunning)
        {
            return;
        }

        _process?.Dispose();
        StartedAt = DateTime.UtcNow;
        File.AppendAllText(LogFile, $"==== start {StartedAt:O}{Environment.NewLine}");
        // exec: the shell only redirects the output; the PID is the app's own.
        var start = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", "exec \"$0\" \"$1\" >> \"$2\" 2>&1", DotnetHost, _dll, LogFile },
            WorkingDirectory = _workingDirectory,
            UseShellExecute = false,
        };
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"{Name} did not start.");
    }

    /// <summary>Polls <paramref name="health"/> as an orchestrator's probe does, from the start, until it answers 2xx.</summary>
    public async Task WaitReady(Uri health, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (true)
        {
            try
            {
                using var response = await Http.GetAsync(health);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            if (!IsRunning || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException(
                    $"{Name} {(IsRunning ? "is not ready in time" : "exited")} ({health}). Its log:{Environment.NewLine}{Tail()}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The exit code once it has exited.</summary>
    public int? ExitCode => _process is { HasExited: true } process ? process.ExitCode : null;

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

    public static void Terminate(Process process)
    {
        if (kill(process.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"kill -TERM {process.Id} failed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    /// <summary>The last lines of the log, for a failure message.</summary>
    public string Tail(int lines = 30) =>
        File.Exists(LogFile) ? string.Join(Environment.NewLine, File.ReadLines(LogFile).TakeLast(lines)) : "(no log)";

    public async ValueTask DisposeAsync()
    {
        await Kill();
        _process?.Dispose();
    }

    /// <summary>The dotnet host running the tests (the SDK sets DOTNET_HOST_PATH), else dotnet from PATH.</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
