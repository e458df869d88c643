using System.Text.Json;
using Microsoft.Playwright;
using ReHome.Tests.Browser;
using ReHome.Tests.Infrastructure;
using ReHome.Tests.Pusher;
using Xunit.Abstractions;

namespace ReHome.Tests.QuickStarts;

/// <summary>
/// The README's quick starts, run as written against a real gateway: the curl walkthrough, the PHP walkthrough, the
/// hub client's page and the Echo page in Chromium. Only what a reader would change is set from outside: the
/// gateway's address and key through the variables the blocks read, and Vite's build-time values.
/// </summary>
[Collection(PusherCollection.Name)]
public sealed class QuickStartTests(PusherGatewayFixture gateway, BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public async Task The_curl_walkthrough_creates_a_thread_streams_ends_and_reads_back()
    {
        var (exit, text) = await RunCurlBlock();

        Assert.True(exit == 0, text);
        Assert.Contains("""{"ended":true}""", text);
        Assert.Contains("\"fullResponse\":\"Hello, world!\"", text);
        Assert.Contains("\"tokens\":[\"Hello\",\", \",\"world!\"]", text);
    }

    [SkippableFact]
    public async Task The_php_walkthrough_in_the_readme_is_the_script_ci_runs_and_it_works()
    {
        gateway.App.SkipIfMissing();
        var script = File.ReadAllText(Path.Combine(GatewayFixture.SolutionDirectory(), "examples", "laravel", "quickstart.php"));
        Assert.Contains(ReadmeBlocks.Get("php"), script);

        var (exit, text, errors) = await PhpProcess.Run(gateway, "examples/laravel/quickstart.php", "php-walkthrough-" + Guid.NewGuid().ToString("N"));

        Assert.True(exit == 0, text + errors);
        Assert.Contains("second endStream: false", text);
    }

    [SkippableFact]
    public async Task The_hub_page_shows_the_answer_the_curl_walkthrough_streams()
    {
        var page = await browser.NewPage();
        page.Console += (_, message) => output.WriteLine($"[browser {message.Type}] {message.Text}");
        var (exit, text) = await RunCurlBlock();
        Assert.True(exit == 0, text);

        // The reader saves the block as Gateway/wwwroot/quickstart.html; the gateway serves it from its added pages.
        await File.WriteAllTextAsync(Path.Combine(gateway.PagesFolder, "quickstart.html"), ReadmeBlocks.Get("hub-page"));
        await page.GotoAsync(new Uri(gateway.BaseAddress, "/quickstart.html").ToString());

        await page.WaitForFunctionAsync(
            "() => document.querySelector('rehome-ai-response')?.shadowRoot?.querySelector('[part~=text]')?.textContent === 'Hello, world!'",
            null, new() { Timeout = 20_000 });
    }

    [SkippableFact]
    public async Task The_echo_page_gets_a_late_answer_from_its_start_and_what_it_missed_while_disconnected()
    {
        gateway.App.SkipIfMissing();
        var threadId = "echo-" + Guid.NewGuid().ToString("N");
        await gateway.Grains.GetGrain<IThreadGrain>(threadId).Configure(new ThreadAccess(null, null, "alice", []));
        gateway.App.Allow(threadId, "alice");
        var quickstart = Directory.CreateTempSubdirectory("rehome-quickstart-");
        try
        {
            WriteEchoModules(quickstart.FullName);
            var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
            var tokens = Enumerable.Range(1, 60).Select(i => $"t{i} ").ToArray();
            await Send(streamId, tokens[..20]);

            var page = await OpenEchoPage(threadId);
            await AnswerIs(page, string.Concat(tokens[..20]), "the first 20 tokens, published before the page subscribed, come from the token page");

            await Send(streamId, tokens[20..40]);
            await AnswerIs(page, string.Concat(tokens[..40]), "live tokens follow");

            await page.EvaluateAsync("() => window.Echo.connector.pusher.disconnect()");
            await page.WaitForFunctionAsync("() => window.Echo.connector.pusher.connection.state === 'disconnected'");
            await Send(streamId, tokens[40..60]);
            await page.EvaluateAsync("() => window.Echo.connector.pusher.connect()");
            await page.WaitForFunctionAsync(
                "channel => window.Echo.connector.pusher.connection.state === 'connected' && window.Echo.connector.pusher.channel(channel)?.subscribed === true",
                "private-agent.thread." + threadId, new() { Timeout = 20_000 });
            await gateway.Producer.EndStreamAsync(streamId);

            await page.WaitForFunctionAsync("() => document.querySelector('#answer').dataset.state === 'completed'", null, new() { Timeout = 20_000 });
            Assert.Equal(string.Concat(tokens), await page.EvalOnSelectorAsync<string>("#answer", "e => e.textContent"));

            // What Echo's own listener saw: 21–40 live, none of 41–60 (sent while it was away), then, subscribed again, the done event.
            var live = await page.EvaluateAsync<JsonElement>("() => window.live");
            var sequences = live.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Number).Select(e => e.GetInt32()).ToArray();
            Assert.Equal(Enumerable.Range(21, 20), sequences);
            Assert.Equal("done", live.EnumerateArray().Last().GetString());
        }
        finally
        {
            quickstart.Delete(recursive: true);
        }

        void WriteEchoModules(string directory)
        {
            var vite = new Dictionary<string, string>
            {
                ["VITE_REVERB_APP_KEY"] = PusherGatewayFixture.AppKey,
                ["VITE_REVERB_HOST"] = gateway.BaseAddress.Host,
                ["VITE_REVERB_PORT"] = gateway.BaseAddress.Port.ToString(),
                ["VITE_REVERB_SCHEME"] = "http",
                ["VITE_REHOME_URL"] = gateway.BaseAddress.ToString().TrimEnd('/'),
            };
            File.WriteAllText(Path.Combine(directory, "echo.js"), ReadmeBlocks.WithViteEnvironment(ReadmeBlocks.Get("echo-js"), vite));
            File.WriteAllText(Path.Combine(directory, "component.js"), ReadmeBlocks.WithViteEnvironment(ReadmeBlocks.Get("component"), vite));
            File.Copy(Path.Combine(GatewayFixture.SolutionDirectory(), "examples", "laravel", "resources", "js", "rehome-thread-follower.js"),
                Path.Combine(directory, "rehome-thread-follower.js"));
            gateway.App.ServeQuickstart(directory);
        }
    }

    private async Task<IPage> OpenEchoPage(string threadId)
    {
        var page = await browser.NewPage();
        page.Console += (_, message) => output.WriteLine($"[browser {message.Type}] {message.Text}");
        page.PageError += (_, error) => output.WriteLine($"[page error] {error}");
        // The app's session: the stand-in reads the user from this cookie, as Laravel reads its session cookie.
        await page.Context.AddCookiesAsync([new Cookie { Name = "test_user", Value = "alice", Url = gateway.App.Address.ToString() }]);
        await page.GotoAsync(new Uri(gateway.App.Address, $"/echo-page.html?thread={threadId}").ToString());
        await page.WaitForFunctionAsync("() => window.pageReady === true", null, new() { Timeout = 20_000 });
        return page;
    }

    private static async Task AnswerIs(IPage page, string expected, string because)
    {
        try
        {
            await page.WaitForFunctionAsync("expected => document.querySelector('#answer').textContent === expected", expected, new() { Timeout = 20_000 });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{because}: the page shows '{await page.EvalOnSelectorAsync<string>("#answer", "e => e.textContent")}'");
        }
    }

    private async Task Send(string streamId, string[] tokens) =>
        await Task.WhenAll(tokens.Select(token => gateway.Producer.StreamTokenAsync(streamId, token)));

    private async Task<(int ExitCode, string Output)> RunCurlBlock()
    {
        var (exit, text, errors) = await Command.Run("bash", ["-euo", "pipefail", "-c", ReadmeBlocks.Get("curl")], new Dictionary<string, string?>
        {
            ["GATEWAY"] = gateway.BaseAddress.ToString().TrimEnd('/'),
            ["SERVICE_KEY"] = GatewayFixture.ServiceKey,
        });
        output.WriteLine(text + errors);
        return (exit, text + errors);
    }
}
