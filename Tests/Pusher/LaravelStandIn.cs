using System.Diagnostics;
using System.Net.Sockets;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Pusher;

/// <summary>
/// <c>Tests/Pusher/app/router.php</c> under <c>php -S</c>: a Laravel app's <c>/broadcasting/auth</c> that signs as
/// Laravel's Pusher broadcaster does, its thread access list, and the npm packages for browser pages. Missing
/// php-cli or the npm packages (<c>npm ci --prefix Tests/Pusher/js</c>) skip the tests, except under CI.
/// </summary>
public sealed class LaravelStandIn : IAsyncDisposable
{
    private readonly Process? _php;
    private readonly string? _acl;
    private readonly string? _quickstart;

    private LaravelStandIn(Process? php, string? acl, string? quickstart, Uri? address, string? missing)
    {
        _php = php;
        _acl = acl;
        _quickstart = quickstart;
        Address = address!;
        Missing = missing;
    }

    public Uri Address { get; }

    /// <summary>Why the Pusher client tests cannot run here, or null.</summary>
    public string? Missing { get; }

    public static string PusherTestsDirectory => Path.Combine(GatewayFixture.SolutionDirectory(), "Tests", "Pusher");

    public static string NodeModules => Path.Combine(PusherTestsDirectory, "js", "node_modules");

    public static async Task<LaravelStandIn> Start(string appKey, string appSecret)
    {
        var missing = Executables.Which("php") is null ? "php-cli is not installed (apt-get install php-cli php-curl)"
            : Executables.Which("node") is null ? "node is not installed (apt-get install nodejs npm)"
            : !Directory.Exists(Path.Combine(NodeModules, "laravel-echo")) ? "the test-only npm packages are not installed (npm ci --prefix Tests/Pusher/js)"
            : null;
        if (missing is not null)
        {
            if (RedisServer.IsCi)
            {
                throw new InvalidOperationException("CI=true but " + missing);
            }

            return new LaravelStandIn(null, null, null, null, missing + "; the Pusher client tests need it.");
        }

        var acl = Directory.CreateTempSubdirectory("rehome-acl-").FullName;
        var quickstart = Directory.CreateTempSubdirectory("rehome-quickstart-").FullName;
        var port = TestPorts.Next();
        var start = new ProcessStartInfo("php")
        {
            ArgumentList = { "-S", $"127.0.0.1:{port}", "router.php" },
            WorkingDirectory = Path.Combine(PusherTestsDirectory, "app"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["PUSHER_APP_KEY"] = appKey;
        start.Environment["PUSHER_APP_SECRET"] = appSecret;
        start.Environment["REHOME_TEST_ACL_DIR"] = acl;
        start.Environment["REHOME_TEST_QUICKSTART_DIR"] = quickstart;
        var php = Process.Start(start) ?? throw new InvalidOperationException("php -S did not start.");
        php.OutputDataReceived += (_, _) => { };
        php.ErrorDataReceived += (_, _) => { };
        php.BeginOutputReadLine();
        php.BeginErrorReadLine();

        await Eventually.True(async () =>
        {
            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync("127.0.0.1", port);
                return true;
            }
            catch (SocketException)
            {
                return php.HasExited ? throw new InvalidOperationException("php -S exited at start.") : false;
            }
        }, TimeSpan.FromSeconds(15), "php -S listens");
        return new LaravelStandIn(php, acl, quickstart, new Uri($"http://127.0.0.1:{port}"), null);
    }

    /// <summary>What the app's channel callback allows: these users may watch the thread.</summary>
    public void Allow(string threadId, params string[] users) => File.WriteAllLines(Path.Combine(_acl!, threadId), users);

    /// <summary>
    /// How the app answers the thread's next channel authorizations, one character each, in order: <c>+</c> as usual,
    /// <c>5</c> with a 503 (the app briefly down). After the plan, as usual.
    /// </summary>
    public void PlanAuthorizations(string threadId, string plan) => File.WriteAllText(Path.Combine(_acl!, threadId + ".plan"), plan);

    /// <summary>Serves the files of <paramref name="directory"/> under <c>/quickstart/</c> (copies them over what is there).</summary>
    public void ServeQuickstart(string directory)
    {
        foreach (var file in Directory.GetFiles(directory))
        {
            File.Copy(file, Path.Combine(_quickstart!, Path.GetFileName(file)), overwrite: true);
        }
    }

    public void SkipIfMissing() => Skip.If(Missing is not null, Missing);

    public async ValueTask DisposeAsync()
    {
        if (_php is { HasExited: false })
        {
            _php.Kill();
            await _php.WaitForExitAsync();
        }

        _php?.Dispose();
        foreach (var directory in new[] { _acl, _quickstart })
        {
            if (directory is not null)
            {
                await TempDirectory.Delete(directory);
            }
        }
    }
}
