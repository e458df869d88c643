using System.Text.Json;
using Microsoft.Playwright;
using ReHome.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReHome.Tests.Browser;

/// <summary>
/// Short-lived tokens in Chromium: the gateway closes the page's connection at each token's <c>exp</c>; the browser
/// client asks its <c>accessTokenFactory</c> for a fresh token, reconnects, re-joins and fetches what it missed, and
/// the reader sees one answer grow without a gap, a repeat or a reset.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class TokenExpiryBrowserTests(GatewayFixture gateway, BrowserFixture browser, ITestOutputHelper output)
{
    private static readonly TimeSpan TokenLifetime = TimeSpan.FromSeconds(2);

    [SkippableFact]
    public async Task An_answer_streams_on_across_token_expiries_with_no_visible_break()
    {
        var page = await browser.NewPage();
        await using var _ = new PageCloser(page);
        page.Console += (_, message) => output.WriteLine($"[browser {message.Type}] {message.Text}");
        var user = "expiry-" + Guid.NewGuid().ToString("N");
        var threadId = await gateway.NewThread(user);
        var issued = 0;
        await page.ExposeFunctionAsync("mintToken", () =>
        {
            Interlocked.Increment(ref issued);
            return gateway.TokenFor(user, TokenLifetime);
        });
        await page.GotoAsync(new Uri(gateway.BaseAddress, "health").ToString());
        await page.EvaluateAsync($$"""
            async () => {
              const { ReHomeClient } = await import('/js/rehome.js');
              const seen = window.seen = { sequences: [], states: [], connection: [], lengths: [], done: null };
              const client = new ReHomeClient({ accessTokenFactory: () => window.mintToken() });
              client.addEventListener('statechange', e => seen.connection.push(e.detail.state));
              const element = document.createElement('rehome-ai-response');
              element.client = client;
              element.setAttribute('thread-id', {{JsonSerializer.Serialize(threadId)}});
              element.addEventListener('rehome-token', e => seen.sequences.push(e.detail.sequence));
              element.addEventListener('rehome-done', e => { seen.done = e.detail; });
              new MutationObserver(() => seen.states.push(element.getAttribute('state')))
                .observe(element, { attributes: true, attributeFilter: ['state'] });
              // What the reader sees, every frame: the painted text's length must only ever grow.
              const text = () => element.shadowRoot.querySelector('[part~=text]')?.textContent ?? '';
              (function watch() { seen.lengths.push(text().length); if (!seen.done) requestAnimationFrame(watch); })();
              document.body.append(element);
              await client.start();
            }
            """);
        await PageWait.For(page, "window.seen.states.at(-1) === 'waiting'", "the element watches its thread", TimeSpan.FromSeconds(30));

        // About nine seconds at a model's pace: four or more token lifetimes.
        var tokens = Enumerable.Range(1, 180).Select(i => $"t{i} ").ToArray();
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        foreach (var token in tokens)
        {
            await gateway.Producer.StreamTokenAsync(streamId, token);
            await Task.Delay(50); // a model's pace, not a wait for anything
        }

        await gateway.Producer.EndStreamAsync(streamId, string.Concat(tokens));
        await PageWait.For(page, "window.seen.done !== null", "the answer is done", TimeSpan.FromSeconds(30));

        var seen = await page.EvaluateAsync<JsonElement>("() => window.seen");
        var sequences = seen.GetProperty("sequences").EnumerateArray().Select(s => s.GetInt64()).ToArray();
        var states = seen.GetProperty("states").EnumerateArray().Select(s => s.GetString()).ToArray();
        var connection = seen.GetProperty("connection").EnumerateArray().Select(s => s.GetString()).ToArray();
        var lengths = seen.GetProperty("lengths").EnumerateArray().Select(s => s.GetInt32()).ToArray();
        output.WriteLine($"tokens issued {issued}; connection states {string.Join(" → ", connection)}; element states {string.Join(" → ", states)}");

        Assert.Equal(string.Concat(tokens), seen.GetProperty("done").GetProperty("text").GetString());
        Assert.Equal(Enumerable.Range(1, tokens.Length).Select(i => (long)i), sequences);
        Assert.True(connection.Count(s => s == "reconnecting") >= 3, $"Each expiry should close the connection: {string.Join(" → ", connection)}");
        Assert.True(issued >= 4, $"Each reconnect should ask for a fresh token; {issued} were issued.");
        // No visible break: once streaming, the element never shows another state until it is done, and the text never shrinks.
        Assert.Equal(["waiting", "streaming", "done"], states.Where((s, i) => i == 0 || s != states[i - 1]).SkipWhile(s => s != "waiting"));
        Assert.All(lengths.Zip(lengths.Skip(1)), pair => Assert.True(pair.Second >= pair.First, $"The text shrank from {pair.First} to {pair.Second} characters."));
    }

    private sealed class PageCloser(IPage page) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await page.CloseAsync();
    }
}
