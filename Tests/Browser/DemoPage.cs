using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ReHome.Tests.Browser;

/// <summary>The demo page in a real tab, and what a test reads off its <c>&lt;rehome-ai-response&gt;</c>.</summary>
public sealed class DemoPage(IPage page, ITestOutputHelper output) : IAsyncDisposable
{
    private const string Answer = "#answer";
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    public IPage Page => page;

    /// <summary>
    /// Opens the demo page as a fresh dev user (or <paramref name="user"/>), and waits until it is connected and
    /// watching its demo thread. The answer renders as plain text unless <paramref name="renderer"/> says otherwise.
    /// </summary>
    public static async Task<DemoPage> Open(BrowserFixture browser, Uri gateway, ITestOutputHelper output, Func<IPage, Task>? beforeLoad = null,
        string renderer = "text", string? user = null)
    {
        user ??= "browser-" + Guid.NewGuid().ToString("N");
        var demo = await Load(browser, new Uri(gateway, $"?user={user}&renderer={renderer}"), output, beforeLoad);
        await demo.WaitFor("document.getElementById('connection').dataset.state === 'connected'", "the page connects");
        await demo.WaitFor("document.getElementById('answer').getAttribute('state') === 'waiting'", "the answer element watches its thread");
        return demo;
    }

    /// <summary>Loads the demo page at <paramref name="url"/>, recording every <c>rehome-token</c> event from the start.</summary>
    public static async Task<DemoPage> Load(BrowserFixture browser, Uri url, ITestOutputHelper output, Func<IPage, Task>? beforeLoad = null)
    {
        var page = await browser.NewPage();
        // Console and page errors end up in the test output, which is where a failure is read.
        page.Console += (_, message) => output.WriteLine($"[browser {message.Type}] {message.Text}");
        page.PageError += (_, error) => output.WriteLine($"[page error] {error}");
        await page.AddInitScriptAsync("""
            window.sequences = [];
            document.addEventListener('rehome-token', e => window.sequences.push(e.detail.sequence));
            """);
        if (beforeLoad is not null)
        {
            await beforeLoad(page);
        }

        await page.GotoAsync(url.ToString());
        return new DemoPage(page, output);
    }

    public async Task<string> ThreadId() => await page.GetAttributeAsync(Answer, "thread-id") ?? throw new InvalidOperationException("No thread-id.");

    /// <summary>The text on screen: what the element has painted, not what it holds for the next frame.</summary>
    public Task<string> RenderedText() =>
        page.EvalOnSelectorAsync<string>(Answer, "e => e.shadowRoot.querySelector('[part~=text]').textContent");

    /// <summary>What the element received: the answer's source text, whatever the renderer made of it.</summary>
    public Task<string> SourceText() => page.EvalOnSelectorAsync<string>(Answer, "e => e.text");

    public Task<string> State() => page.EvalOnSelectorAsync<string>(Answer, "e => e.getAttribute('state')");

    public Task<string> ConnectionState() => page.EvalOnSelectorAsync<string>("#connection", "e => e.dataset.state");

    /// <summary>The sequences of every <c>rehome-token</c> event since the page opened, in order.</summary>
    public async Task<long[]> TokenSequences() => await page.EvaluateAsync<long[]>("() => window.sequences");

    public async Task<ScrollBox> Scroll()
    {
        var values = await page.EvalOnSelectorAsync<double[]>(Answer, "e => [e.scrollTop, e.scrollHeight, e.clientHeight]");
        return new ScrollBox(values[0], values[1], values[2]);
    }

    /// <summary>Waits until the painted text is <paramref name="expected"/>; then asserts it, so a miss shows a diff.</summary>
    public async Task AssertTextBecomes(string expected, TimeSpan? timeout = null)
    {
        try
        {
            await page.WaitForFunctionAsync(
                "expected => document.getElementById('answer').shadowRoot.querySelector('[part~=text]').textContent === expected",
                expected,
                new() { Timeout = (float)(timeout ?? DefaultTimeout).TotalMilliseconds });
        }
        catch (TimeoutException)
        {
            output.WriteLine("Timed out waiting for the text; comparing what is there.");
        }

        Assert.Equal(expected, await RenderedText());
    }

    /// <summary>Waits until the painted text contains <paramref name="part"/>.</summary>
    public Task WaitForTextContaining(string part) => WaitFor(
        $"document.getElementById('answer').shadowRoot.querySelector('[part~=text]').textContent.includes({JsonSerializer.Serialize(part)})",
        $"the text contains '{part}'");

    /// <summary>Waits for a JavaScript condition, with a deadline.</summary>
    public async Task WaitFor(string condition, string what, TimeSpan? timeout = null)
    {
        try
        {
            await page.WaitForFunctionAsync($"() => {condition}", null, new() { Timeout = (float)(timeout ?? DefaultTimeout).TotalMilliseconds });
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"Timed out waiting until {what}: {condition}", ex);
        }
    }

    public async ValueTask DisposeAsync() => await page.CloseAsync();

    public sealed record ScrollBox(double Top, double Height, double Client)
    {
        public double FromBottom => Height - Top - Client;
    }
}
