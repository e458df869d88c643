using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using ReHome.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReHome.Tests.Browser;

/// <summary>
/// An app served from another origin loads the browser client from the gateway and uses its hub, in Chromium, when
/// the origin is in <c>Gateway:AllowedOrigins</c>; a page from any other origin can do neither.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class CrossOriginTests(BrowserFixture browser, CrossOriginGatewayFixture gateway, ITestOutputHelper output)
    : IClassFixture<CrossOriginGatewayFixture>
{
    [SkippableFact]
    public async Task A_page_on_an_allowed_origin_loads_the_client_module_and_streams_an_answer()
    {
        await using var app = await OriginServer.Start(gateway.AllowedOrigin, gateway.BaseAddress);
        var user = "cors-" + Guid.NewGuid().ToString("N");
        var threadId = await gateway.NewThread(user);
        var page = await Open(app, user, threadId);
        try
        {
            await StreamsAcross(page, threadId);
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    private async Task StreamsAcross(IPage page, string threadId)
    {
        await PageWait.For(page, "window.outcome !== undefined", "the page's script ran");
        var outcome = await page.EvaluateAsync<JsonElement>("() => window.outcome");
        Assert.True(outcome.GetProperty("ok").GetBoolean(), outcome.ToString());
        await PageWait.For(page, "document.querySelector('rehome-ai-response')?.getAttribute('state') === 'waiting'", "the element watches its thread");

        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "across ");
        await gateway.Producer.StreamTokenAsync(streamId, "origins");
        await gateway.Producer.EndStreamAsync(streamId);

        await PageWait.For(page, "document.querySelector('rehome-ai-response').getAttribute('state') === 'done'", "the answer is done");
        Assert.Equal("across origins", await page.EvaluateAsync<string>("() => document.querySelector('rehome-ai-response').text"));
    }

    [SkippableFact]
    public async Task A_page_on_any_other_origin_can_neither_load_the_client_nor_negotiate()
    {
        var other = new Uri($"http://localhost:{TestPorts.Next()}");
        await using var app = await OriginServer.Start(other, gateway.BaseAddress);
        var user = "cors-" + Guid.NewGuid().ToString("N");
        var page = await Open(app, user, await gateway.NewThread(user));
        try
        {
            await IsBlocked(page);
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    private async Task IsBlocked(IPage page)
    {
        await PageWait.For(page, "window.outcome !== undefined", "the page's script ran");
        var outcome = await page.EvaluateAsync<JsonElement>("() => window.outcome");
        var negotiate = await page.EvaluateAsync<string>($$"""
            async () => {
              try {
                await fetch({{JsonSerializer.Serialize(new Uri(gateway.BaseAddress, HubContract.Path + "/negotiate?negotiateVersion=1").ToString())}},
                  { method: 'POST', credentials: 'include', headers: { Authorization: 'Bearer ' + await window.mintToken() } });
                return 'answered';
              } catch (e) { return 'blocked: ' + e.message; }
            }
            """);

        Assert.False(outcome.GetProperty("ok").GetBoolean(), outcome.ToString());
        Assert.Equal("import", outcome.GetProperty("step").GetString()); // the module itself was refused
        Assert.StartsWith("blocked", negotiate);
    }

    private async Task<IPage> Open(OriginServer app, string user, string threadId)
    {
        var page = await browser.NewPage();
        page.Console += (_, message) => output.WriteLine($"[browser {message.Type}] {message.Text}");
        await page.ExposeFunctionAsync("mintToken", () => gateway.TokenFor(user));
        await page.GotoAsync(app.Origin + "?thread=" + Uri.EscapeDataString(threadId));
        return page;
    }

    /// <summary>An app on its own origin whose one page imports the client module from the gateway and watches a thread.</summary>
    private sealed class OriginServer : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private OriginServer(WebApplication app, Uri origin)
        {
            _app = app;
            Origin = origin.ToString();
        }

        public string Origin { get; }

        public static async Task<OriginServer> Start(Uri origin, Uri gateway)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls($"http://127.0.0.1:{origin.Port}");
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            var app = builder.Build();
            var module = new Uri(gateway, "js/rehome.js").ToString();
            var hub = new Uri(gateway, HubContract.Path).ToString();
            app.MapGet("/", () => Results.Content($$"""
                <!doctype html>
                <html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head>
                <body>
                <script type="module">
                  let step = 'import';
                  try {
                    const { ReHomeClient } = await import({{JsonSerializer.Serialize(module)}});
                    step = 'connect';
                    const client = new ReHomeClient({ url: {{JsonSerializer.Serialize(hub)}}, accessTokenFactory: () => window.mintToken() });
                    const element = document.createElement('rehome-ai-response');
                    element.client = client;
                    element.setAttribute('thread-id', new URLSearchParams(location.search).get('thread'));
                    document.body.append(element);
                    await client.start();
                    window.outcome = { ok: true };
                  } catch (e) {
                    window.outcome = { ok: false, step, error: String(e) };
                  }
                </script>
                </body></html>
                """, "text/html"));
            await app.StartAsync();
            return new OriginServer(app, origin);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
