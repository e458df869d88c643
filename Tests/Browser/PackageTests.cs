using System.Text.Json;
using ReHome.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReHome.Tests.Browser;

/// <summary>
/// The browser client as a front-end developer gets it: <c>npm pack</c> of Gateway/client, installed into a throwaway
/// TypeScript app, type-checked with tsc against the package's .d.ts, bundled with esbuild, and run in Chromium
/// against the real gateway.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class PackageTests(GatewayFixture gateway, BrowserFixture browser, ITestOutputHelper output)
{
    private const string App = """
        import { connect, Hub, ReHomeAiResponse, type Presence, type CancelStreamResult } from '@rehome/client';

        const params = new URLSearchParams(location.search);
        const client = connect({ url: params.get('hub')!, accessTokenFactory: () => params.get('token')! });
        const answer = document.createElement('rehome-ai-response');
        answer.setAttribute('thread-id', params.get('thread')!);
        answer.setAttribute('renderer', 'markdown');
        answer.addEventListener('rehome-done', e => { window.finished = e.detail.reason; });
        answer.addEventListener('rehome-presence', (e: CustomEvent<Presence>) => { window.watching = e.detail.count; });
        document.body.append(answer);

        const stop: (reason?: string) => Promise<CancelStreamResult | null> = reason => answer.stop(reason);
        const notices: ['agent.thread.behind', 'agent.thread.revoked'] = [Hub.behind, Hub.revoked];
        window.checks = { definedOnImport: answer instanceof ReHomeAiResponse, stop: typeof stop, state: client.state, notices };

        declare global {
          interface Window { finished?: string | null; watching?: number; checks?: object }
        }
        """;

    [SkippableFact]
    public async Task The_packed_client_installs_into_an_app_that_a_bundler_builds_and_the_built_page_streams_an_answer()
    {
        var page = await browser.NewPage();
        var gatewayDir = Path.Combine(GatewayFixture.SolutionDirectory(), "Gateway");
        var bin = Path.Combine(gatewayDir, "node_modules", ".bin");
        var work = Directory.CreateTempSubdirectory("rehome-package-").FullName;
        try
        {
            var packed = JsonDocument.Parse(await Command.RunChecked(Path.Combine(gatewayDir, "client"), "npm", "pack", "--json", "--pack-destination", work));
            var tarball = Path.Combine(work, packed.RootElement[0].GetProperty("filename").GetString()!);

            var app = Directory.CreateDirectory(Path.Combine(work, "app")).FullName;
            var signalR = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(gatewayDir, "package.json")))
                .RootElement.GetProperty("dependencies").GetProperty("@microsoft/signalr").GetString();
            await File.WriteAllTextAsync(Path.Combine(app, "package.json"), JsonSerializer.Serialize(new
            {
                name = "throwaway-app",
                @private = true,
                type = "module",
                dependencies = new Dictionary<string, string> { ["@rehome/client"] = "file:" + tarball, ["@microsoft/signalr"] = signalR! },
            }));
            await File.WriteAllTextAsync(Path.Combine(app, "main.ts"), App);

            // The registry packages come from npm's cache, which the gateway's own `npm ci` filled.
            await Command.RunChecked(app, "npm", "install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error");
            Assert.True(File.Exists(Path.Combine(app, "node_modules", "@rehome", "client", "types", "index.d.ts")));
            await Command.RunChecked(app, Path.Combine(bin, "tsc"), "--noEmit", "--strict", "--target", "es2022", "--module", "esnext",
                "--moduleResolution", "bundler", "--lib", "es2022,dom,dom.iterable", "--skipLibCheck", "false", "main.ts");
            var dist = Directory.CreateDirectory(Path.Combine(app, "dist")).FullName;
            await Command.RunChecked(app, Path.Combine(bin, "esbuild"), "main.ts", "--bundle", "--format=esm", "--outfile=dist/app.js", "--log-level=warning");
            await File.WriteAllTextAsync(Path.Combine(dist, "index.html"),
                "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>app</title><script type=\"module\" src=\"app.js\"></script></head><body></body></html>");

            // The built page, served by a static file server of its own on loopback, as an app's own server would.
            await using var site = await StaticSite.Serve(dist);
            page.Console += (_, message) => output.WriteLine($"[browser {message.Type}] {message.Text}");
            var user = "packager-" + Guid.NewGuid().ToString("N");
            var threadId = await gateway.NewThread(user);
            var hub = new Uri(gateway.BaseAddress, HubContract.Path);
            await page.GotoAsync(new Uri(site.BaseAddress, $"index.html?hub={Uri.EscapeDataString(hub.ToString())}&token={gateway.TokenFor(user)}&thread={threadId}").ToString());
            await page.WaitForFunctionAsync("() => window.watching === 1 && document.querySelector('rehome-ai-response').getAttribute('state') === 'waiting'");

            var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
            string[] tokens = ["# Built ", "with esbuild\n\n", "- one\n", "- two\n"];
            foreach (var token in tokens)
            {
                await gateway.Producer.StreamTokenAsync(streamId, token);
            }

            await gateway.Producer.EndStreamAsync(streamId);
            await page.WaitForFunctionAsync("() => window.finished === 'completed'");

            Assert.Equal(string.Concat(tokens), await page.EvalOnSelectorAsync<string>("rehome-ai-response", "e => e.text"));
            // The element renders on the next animation frame after the done event.
            await page.WaitForFunctionAsync("() => document.querySelector('rehome-ai-response').shadowRoot.querySelectorAll('h1, li').length === 3");
            Assert.Equal("Built with esbuild|one,two", await page.EvalOnSelectorAsync<string>("rehome-ai-response",
                "e => e.shadowRoot.querySelector('h1').textContent + '|' + [...e.shadowRoot.querySelectorAll('li')].map(li => li.textContent).join(',')"));
            Assert.Equal("""{"definedOnImport":true,"stop":"function","state":"connecting","notices":["agent.thread.behind","agent.thread.revoked"]}""", await page.EvaluateAsync<string>("() => JSON.stringify(window.checks)"));
        }
        finally
        {
            await page.CloseAsync();
            Directory.Delete(work, recursive: true);
        }
    }
}
