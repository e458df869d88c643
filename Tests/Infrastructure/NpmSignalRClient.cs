using System.Diagnostics;
using System.Text.Json;

namespace ReHome.Tests.Infrastructure;

/// <summary>
/// Runs a script under Node.js with the npm <c>@microsoft/signalr</c> client (the package the gateway's build
/// installs): a client this project did not write. The script gets <c>signalR</c>, <c>hubUrl</c>, <c>token(user,
/// seconds)</c> (a fresh token from the test) and <c>env</c>, and returns a JSON-serialisable value. Without
/// <c>node</c> the test skips, except under <c>CI=true</c>.
/// </summary>
public static class NpmSignalRClient
{
    public static async Task<JsonElement> Run(GatewayFixture gateway, string script, IReadOnlyDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var node = Executables.Which("node");
        if (node is null)
        {
            if (RedisServer.IsCi)
            {
                throw new InvalidOperationException("CI=true but node is not installed (apt-get install nodejs npm).");
            }

            Skip.If(true, "node is not installed, so the npm SignalR client tests are skipped.");
        }

        var modules = Path.Combine(GatewayFixture.SolutionDirectory(), "Gateway", "node_modules");
        var file = Path.Combine(Path.GetTempPath(), $"rehome-npm-client-{Guid.NewGuid():N}.cjs");
        // Tokens come from the test process over stdin/stdout would be complex; a token a second is plenty, so the
        // test hands the script a batch of tokens signed up front, per user and lifetime, through the environment.
        await File.WriteAllTextAsync(file, $$"""
            const signalR = require('@microsoft/signalr');
            const hubUrl = process.env.HUB_URL;
            const env = process.env;
            const tokens = JSON.parse(process.env.TOKENS);
            const token = name => { const t = tokens[name]; if (!t) throw new Error('no token ' + name); return t; };
            const serverMessage = e => { const m = /HubException: ([\s\S]*)$/.exec(e?.message ?? ''); return m ? m[1] : String(e?.message ?? e); };
            const connect = async (name, configure) => {
              let builder = new signalR.HubConnectionBuilder()
                .withUrl(hubUrl, { accessTokenFactory: () => token(name), transport: signalR.HttpTransportType.WebSockets })
                .configureLogging(signalR.LogLevel.None);
              if (configure) builder = configure(builder);
              const connection = builder.build();
              await connection.start();
              return connection;
            };
            (async () => {
            {{script}}
            })().then(result => { process.stdout.write(JSON.stringify(result ?? null)); process.exit(0); },
                      error => { process.stderr.write(String(error?.stack ?? error)); process.exit(1); });
            """);
        try
        {
            var start = new ProcessStartInfo(node!) { ArgumentList = { file }, RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["NODE_PATH"] = modules;
            start.Environment["HUB_URL"] = new Uri(gateway.BaseAddress, HubContract.Path).ToString();
            foreach (var (key, value) in env ?? new Dictionary<string, string>())
            {
                start.Environment[key] = value;
            }

            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"The node script did not finish in time. stderr: {await errors}");
            }

            Assert.True(process.ExitCode == 0, $"node failed: {await errors}");
            return JsonSerializer.Deserialize<JsonElement>(await output);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The <c>TOKENS</c> environment entry: named tokens the script asks for with <c>token(name)</c>.</summary>
    public static KeyValuePair<string, string> Tokens(IReadOnlyDictionary<string, string> named) =>
        new("TOKENS", JsonSerializer.Serialize(named));
}
