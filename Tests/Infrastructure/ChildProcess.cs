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

    private readonly string _dll;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private Process? _process;

    public ChildProcess(string name, string dll, IReadOnlyDictionary<string, string> environment, string logDirectory)
    {
        Name = name;
        _dll = dll;
        _environment = environment;
        LogFile = Path.Combine(logDirectory, name + ".log");
    }

    public string Name { get; }

    public string LogFile { get; }

    public bool IsRunning => _process is { HasExited: false };

    public int? Pid => _process?.Id;

    public void Start()
    {
        if (IsRunning)
        {
            return;
        }

        _process?.Dispose();
        File.AppendAllText(LogFile, $"==== start {DateTime.UtcNow:O}{Environment.NewLine}");
        // exec: the shell only redirects the output; the PID is the app's own.
        var start = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", "exec \"$0\" \"$1\" >> \"$2\" 2>&1", DotnetHost, _dll, LogFile },
            WorkingDirectory = Path.GetDirectoryName(_dll)!,
            UseShellExecute = false,
        };
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"{Name} did not start.");
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

    /// <summary>The last lines of the log, for a failure message.</summary>
    public string Tail(int lines = 30) =>
        File.Exists(LogFile) ? string.Join(Environment.NewLine, File.ReadLines(LogFile).TakeLast(lines)) : "(no log)";

    public async ValueTask DisposeAsync()
    {
        await Kill();
        _process?.Dispose();
    }

    /// <summary>The dotnet host running the tests (the SDK sets DOTNET_HOST_PATH), else dotnet from PATH.</summary>
    private static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
