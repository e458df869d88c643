using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace ReHome.Tests.Pusher;

/// <summary>
/// <c>Tests/Pusher/js/echo-client.mjs</c>: Laravel Echo on pusher-js, in Node, watching one thread's private channel.
/// Every line it prints is kept; tests wait for the lines they expect.
/// </summary>
public sealed class NodeEcho : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);
    private readonly Process _node;
    private readonly List<JsonElement> _lines = [];
    private readonly ITestOutputHelper _output;
    private readonly SemaphoreSlim _changed = new(0);

    private NodeEcho(Process node, ITestOutputHelper output)
    {
        _node = node;
        _output = output;
    }

    /// <param name="authMode"><c>app</c>, <c>forged</c> or <c>borrowed:{threadId}</c> (see the script).</param>
    public static NodeEcho Start(PusherGatewayFixture gateway, string userId, string threadId, ITestOutputHelper output, string authMode = "app", string appKey = PusherGatewayFixture.AppKey) =>
        Run("echo-client.mjs", new()
        {
            ["GATEWAY_HOST"] = gateway.BaseAddress.Host,
            ["GATEWAY_PORT"] = gateway.BaseAddress.Port.ToString(),
            ["APP_KEY"] = appKey,
            ["APP_URL"] = gateway.App.Address.ToString().TrimEnd('/'),
            ["USER_ID"] = userId,
            ["THREAD_ID"] = threadId,
            ["AUTH_MODE"] = authMode,
        }, output);

    /// <summary>Runs <paramref name="script"/> of <c>Tests/Pusher/js</c> with <paramref name="environment"/>.</summary>
    public static NodeEcho Run(string script, Dictionary<string, string> environment, ITestOutputHelper output)
    {
        var start = new ProcessStartInfo("node")
        {
            ArgumentList = { script },
            WorkingDirectory = Path.Combine(LaravelStandIn.PusherTestsDirectory, "js"),
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var node = Process.Start(start) ?? throw new InvalidOperationException("node did not start.");
        var echo = new NodeEcho(node, output);
        node.OutputDataReceived += (_, e) => echo.Add(e.Data);
        node.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                output.WriteLine("[node stderr] " + e.Data);
            }
        };
        node.BeginOutputReadLine();
        node.BeginErrorReadLine();
        return echo;
    }

    public JsonElement[] Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>The <c>agent.thread.token</c> events received, in order.</summary>
    public JsonElement[] Events => [.. Lines.Where(l => Type(l) == "token").Select(l => l.GetProperty("event"))];

    /// <summary>Waits for a line of <paramref name="type"/> matching <paramref name="match"/>, and returns it.</summary>
    public async Task<JsonElement> WaitFor(string type, Func<JsonElement, bool>? match = null, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (true)
        {
            var found = Lines.FirstOrDefault(l => Type(l) == type && (match is null || match(l)));
            if (found.ValueKind != JsonValueKind.Undefined)
            {
                return found;
            }

            if (_node.HasExited)
            {
                throw new InvalidOperationException($"The Echo client exited ({_node.ExitCode}) before printing '{type}'.");
            }

            try
            {
                await _changed.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The Echo client printed no '{type}' line in time; it printed:\n{string.Join('\n', Lines.Select(l => l.GetRawText()))}");
            }
        }
    }

    /// <summary>
    /// Copies the example follower into <paramref name="directory"/> as <c>.mjs</c> (Node 20 reads a <c>.js</c> file
    /// outside a "type": "module" package as CommonJS), for <c>follower-client.mjs</c>'s FOLLOWER_MODULE.
    /// </summary>
    public static string CopyFollowerModule(string directory)
    {
        var module = Path.Combine(directory, "rehome-thread-follower.mjs");
        File.Copy(Path.Combine(Infrastructure.GatewayFixture.SolutionDirectory(), "examples", "laravel", "resources", "js", "rehome-thread-follower.js"), module);
        return module;
    }

    /// <summary>Writes a line to the script's standard input (the scripts that take commands say which).</summary>
    public async Task Tell(string command)
    {
        await _node.StandardInput.WriteLineAsync(command);
        await _node.StandardInput.FlushAsync();
    }

    /// <summary>Waits until the done event of <paramref name="streamId"/> arrived.</summary>
    public Task<JsonElement> WaitForDone(string streamId, TimeSpan? timeout = null) =>
        WaitFor("token", l => l.GetProperty("event").GetProperty("done").GetBoolean() && l.GetProperty("event").GetProperty("streamId").GetString() == streamId, timeout);

    public async ValueTask DisposeAsync()
    {
        try
        {
            _node.StandardInput.Close();
            await _node.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is TimeoutException or IOException or InvalidOperationException)
        {
            _node.Kill(entireProcessTree: true);
            await _node.WaitForExitAsync();
        }

        _node.Dispose();
    }

    private static string? Type(JsonElement line) => line.GetProperty("type").GetString();

    private void Add(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        try
        {
            var element = JsonDocument.Parse(line).RootElement.Clone();
            lock (_lines)
            {
                _lines.Add(element);
            }
        }
        catch (JsonException)
        {
            _output.WriteLine("[node] " + line);
            return;
        }

        _changed.Release();
    }
}
