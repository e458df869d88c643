using System.Diagnostics;
using StackExchange.Redis;

namespace ReHome.Tests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> on a free loopback port, with persistence off, owned by the test run.
/// It can be stopped and started again on the same port to simulate an outage. With a data directory it keeps
/// its data across a restart (append-only file), as a production Redis must.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private const int SigStop = 19;
    private const int SigCont = 18;

    /// <summary>How long a start may take, reading back its append-only file included.</summary>
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    private Process? _process;

    private readonly string? _dataDirectory;

    private RedisServer(string binary, int port, string? dataDirectory)
    {
        Binary = binary;
        Port = port;
        _dataDirectory = dataDirectory;
    }

    public string Binary { get; }

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=3000,asyncTimeout=3000";

    /// <summary>
    /// Where redis-server is, or null. Under <c>CI=true</c> a missing binary is a failure, never a skip.
    /// </summary>
    public static string? FindBinary()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        var found = path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin").Append("/usr/local/bin")
            .Select(dir => Path.Combine(dir, "redis-server"))
            .FirstOrDefault(File.Exists);
        if (found is null && IsCi)
        {
            throw new InvalidOperationException("CI=true but redis-server is not installed; .ci/run must install it (apt-get install redis-server).");
        }

        return found;
    }

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <param name="dataDirectory">Where to keep an append-only file, so data survives <see cref="Shutdown"/>; null: in memory only.</param>
    public static async Task<RedisServer> Start(string binary, string? dataDirectory = null)
    {
        var server = new RedisServer(binary, TestPorts.Next(), dataDirectory);
        await server.Start();
        return server;
    }

    public async Task Start()
    {
        var start = new ProcessStartInfo(Binary)
        {
            ArgumentList = { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--protected-mode", "no" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (_dataDirectory is null)
        {
            start.ArgumentList.Add("--appendonly");
            start.ArgumentList.Add("no");
        }
        else
        {
            Directory.CreateDirectory(_dataDirectory);
            foreach (var arg in new[] { "--appendonly", "yes", "--dir", _dataDirectory })
            {
                start.ArgumentList.Add(arg);
            }
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // Ready once it answers a command: a server restarted with its append-only file refuses commands with
        // "LOADING" until the file is read back, which takes a while on a busy machine.
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (true)
        {
            try
            {
                await using var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Port},connectTimeout=500");
                await connection.GetDatabase().PingAsync();
                return;
            }
            catch (Exception ex) when ((ex is RedisConnectionException || IsLoading(ex)) && DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }

    private static bool IsLoading(Exception ex) =>
        ex is RedisServerException && ex.Message.StartsWith("LOADING", StringComparison.Ordinal);

    /// <summary>Kills the server; its data is gone (persistence is off).</summary>
    public void Stop()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>Stops the server as an operator would (SIGTERM): it flushes its append-only file and exits.</summary>
    public async Task Shutdown()
    {
        if (_process is { HasExited: false } process)
        {
            ChildProcess.Terminate(process);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>
    /// Freezes the server (SIGSTOP), as a stalled host or a long fork would: connections stay open and commands pile
    /// up unanswered, so clients time out, and Redis applies them all when it is resumed.
    /// </summary>
    public void Pause() => ChildProcess.Signal(_process ?? throw new InvalidOperationException("redis-server is not running."), SigStop);

    /// <summary>Lets a paused server run again (SIGCONT).</summary>
    public void Resume() => ChildProcess.Signal(_process ?? throw new InvalidOperationException("redis-server is not running."), SigCont);

    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }
}
