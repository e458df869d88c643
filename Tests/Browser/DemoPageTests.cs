using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Orleans.Streams.Core;
using ReHome.Gateway.Demo;
using ReHome.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReHome.Tests.Browser;

/// <summary>The demo page in headless Chromium against the real gateway: what a person opening <c>/</c> gets.</summary>
[Collection(BrowserCollection.Name)]
public sealed class DemoPageTests(GatewayFixture gateway, BrowserFixture browser, ITestOutputHelper output)
{
    [SkippableFact]
    public async Task The_demo_button_streams_the_demo_answer_and_the_page_shows_exactly_that_text()
    {
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output);

        await demo.Page.ClickAsync("#stream");

        await demo.WaitFor("document.getElementById('answer').getAttribute('state') === 'done'", "the answer is done", TimeSpan.FromSeconds(30));
        await demo.AssertTextBecomes(DemoText.Answer);
        var sequences = await demo.TokenSequences();
        Assert.Equal(Enumerable.Range(1, DemoText.Tokens().Count).Select(i => (long)i), sequences);
    }

    [SkippableFact]
    public async Task The_demo_answer_renders_as_markdown_by_default()
    {
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output, renderer: "markdown");

        await demo.Page.ClickAsync("#stream");

        await demo.WaitFor("document.getElementById('answer').getAttribute('state') === 'done'", "the answer is done", TimeSpan.FromSeconds(30));
        Assert.Equal(DemoText.Answer, await demo.SourceText());
        var elements = await demo.Page.EvalOnSelectorAsync<string[]>("#answer",
            "e => ['h2', 'strong', 'ul > li', 'pre > code', 'table td', 'em'].filter(s => e.shadowRoot.querySelector('[part~=text] ' + s))");
        Assert.Equal(["h2", "strong", "ul > li", "pre > code", "table td", "em"], elements);
        Assert.Contains("你好，世界！", await demo.RenderedText());
    }

    [SkippableFact]
    public async Task Scrolled_up_the_view_stays_put_while_text_grows_and_follows_again_once_back_at_the_bottom()
    {
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output);
        var streamId = await gateway.Producer.StartStreamAsync(await demo.ThreadId(), NewRunId());
        await StreamLines(streamId, 1, 40);
        await demo.WaitForTextContaining("line 40\n");
        var overflowing = await demo.Scroll();
        Assert.True(overflowing.Height > 2 * overflowing.Client, $"The text should overflow the view: {overflowing}.");
        Assert.True(overflowing.FromBottom <= 1, $"New text keeps the view at the bottom: {overflowing}.");

        await demo.Page.HoverAsync("#answer");
        await demo.Page.Mouse.WheelAsync(0, (float)-overflowing.Height);
        await demo.WaitFor("document.getElementById('answer').scrollTop === 0", "the wheel scrolled to the top");
        await StreamLines(streamId, 41, 80);
        await demo.WaitForTextContaining("line 80\n");

        var scrolledUp = await demo.Scroll();
        Assert.Equal(0, scrolledUp.Top);
        Assert.True(scrolledUp.Height > overflowing.Height, $"The text grew: {overflowing} → {scrolledUp}.");

        await demo.Page.Mouse.WheelAsync(0, (float)(10 * scrolledUp.Height));
        await demo.WaitFor("(e => e.scrollHeight - e.scrollTop - e.clientHeight <= 1)(document.getElementById('answer'))", "the wheel reached the bottom");
        await StreamLines(streamId, 81, 120);
        await demo.WaitForTextContaining("line 120\n");

        var following = await demo.Scroll();
        Assert.True(following.Height > scrolledUp.Height, $"The text grew: {scrolledUp} → {following}.");
        Assert.True(following.FromBottom <= 1, $"Back at the bottom, the view follows new text again: {following}.");
        await gateway.Producer.EndStreamAsync(streamId);
    }

    [SkippableFact]
    public async Task The_views_own_scroll_overtaken_by_content_that_grew_keeps_following_the_bottom()
    {
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output);
        var streamId = await gateway.Producer.StartStreamAsync(await demo.ThreadId(), NewRunId());
        await StreamLines(streamId, 1, 40);
        await demo.WaitForTextContaining("line 40\n");

        // Content grows, the view scrolls to the bottom, and more content (an image or a font that finished loading)
        // lands before that scroll's event: the event sees a step down that stopped short of the bottom.
        await demo.Page.EvalOnSelectorAsync("#answer", """
            async e => {
              const spacer = document.createElement('div');
              spacer.style.height = '100px';
              e.shadowRoot.querySelector('[part~=text]').append(spacer);
              e.scrollTop = e.scrollHeight;
              spacer.style.height = '300px';
              await new Promise(requestAnimationFrame);
              await new Promise(requestAnimationFrame);
              spacer.remove();
            }
            """);
        Assert.True(await demo.Page.EvalOnSelectorAsync<bool>("#answer", "e => e.followsBottom"), "The view still follows the bottom.");

        await StreamLines(streamId, 41, 60);
        await demo.WaitForTextContaining("line 60\n");
        var after = await demo.Scroll();
        Assert.True(after.FromBottom <= 1, $"New text keeps the view at the bottom: {after}.");
        await gateway.Producer.EndStreamAsync(streamId);
    }

    [SkippableFact]
    public async Task An_answer_moved_in_the_page_keeps_its_text_and_goes_on_streaming()
    {
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output);
        var streamId = await gateway.Producer.StartStreamAsync(await demo.ThreadId(), NewRunId());
        await gateway.Producer.StreamTokenAsync(streamId, "Before the move. ");
        await demo.AssertTextBecomes("Before the move. ");

        // As a framework reordering a keyed list does: the same element, taken out and put back in one task.
        var right = await demo.Page.EvalOnSelectorAsync<string>("#answer", """
            e => {
              e.parentNode.insertBefore(e, e.parentNode.firstChild);
              return e.shadowRoot.querySelector('[part~=text]').textContent;
            }
            """);
        Assert.Equal("Before the move. ", right);

        await gateway.Producer.StreamTokenAsync(streamId, "After it.");
        await demo.AssertTextBecomes("Before the move. After it.");
        await gateway.Producer.EndStreamAsync(streamId);
    }

    /// <summary>A slow touchpad scrolls by a few pixels at a time, each step inside the bottom's slack.</summary>
    [SkippableFact]
    public async Task Small_steps_up_while_text_streams_let_go_of_the_bottom()
    {
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output);
        var streamId = await gateway.Producer.StartStreamAsync(await demo.ThreadId(), NewRunId());
        await StreamLines(streamId, 1, 40);
        await demo.WaitForTextContaining("line 40\n");
        await demo.Page.HoverAsync("#answer");

        for (var step = 0; step < 10; step++)
        {
            await demo.Page.Mouse.WheelAsync(0, -3);
            await gateway.Producer.StreamTokenAsync(streamId, $"more {step}\n");
            await demo.WaitForTextContaining($"more {step}\n");
        }

        var after = await demo.Scroll();
        Assert.True(after.FromBottom > 4, $"The view let go of the bottom: {after}.");
        Assert.False(await demo.Page.EvalOnSelectorAsync<bool>("#answer", "e => e.followsBottom"));
        await gateway.Producer.EndStreamAsync(streamId);
    }

    [SkippableFact]
    public async Task A_fast_producer_is_shown_complete_in_order_once_and_painted_at_most_once_per_frame()
    {
        // Every text paint is recorded with the animation frame it ran in (all callbacks of a frame share its timestamp).
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output, page => page.AddInitScriptAsync("""
            window.paints = [];
            let frame = null;
            const raf = window.requestAnimationFrame.bind(window);
            window.requestAnimationFrame = callback => raf(time => { frame = time; try { callback(time); } finally { frame = null; } });
            const appendData = Text.prototype.appendData;
            Text.prototype.appendData = function (data) { window.paints.push(frame); return appendData.call(this, data); };
            """));
        // As fast as the SDK appends: the gateway batches what queues up into agent.thread.tokens.
        await demo.Page.EvaluateAsync("""
            async () => {
              const client = await ReHome.sharedClient();
              window.batches = [];
              client.connection.on('agent.thread.tokens', batch => { window.batches.push(batch.length); });
            }
            """);
        var tokens = Enumerable.Range(1, 300).Select(i => $"w{i} ").ToArray();
        var streamId = await gateway.Producer.StartStreamAsync(await demo.ThreadId(), NewRunId());
        foreach (var token in tokens)
        {
            await gateway.Producer.StreamTokenAsync(streamId, token);
        }

        await gateway.Producer.EndStreamAsync(streamId);

        await demo.AssertTextBecomes(string.Concat(tokens));
        Assert.Equal(Enumerable.Range(1, tokens.Length).Select(i => (long)i), await demo.TokenSequences());
        var paints = await demo.Page.EvaluateAsync<double?[]>("() => window.paints");
        Assert.NotEmpty(paints); // the text was painted through the recorded path
        Assert.All(paints, frame => Assert.NotNull(frame));
        Assert.Equal(paints.Length, paints.Distinct().Count());
        output.WriteLine($"{tokens.Length} tokens painted in {paints.Length} frames; agent.thread.tokens batch sizes: "
            + await demo.Page.EvaluateAsync<string>("() => JSON.stringify(window.batches)"));
    }

    [SkippableFact]
    public async Task Tokens_render_as_plain_text_never_as_markup()
    {
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output);
        var streamId = await gateway.Producer.StartStreamAsync(await demo.ThreadId(), NewRunId());
        string[] tokens = ["<img src=x onerror=\"window.injected = true\">", "<b>bold</b> ", "&amp; 😀"];
        foreach (var token in tokens)
        {
            await gateway.Producer.StreamTokenAsync(streamId, token);
        }

        await gateway.Producer.EndStreamAsync(streamId, string.Concat(tokens));

        await demo.AssertTextBecomes(string.Concat(tokens));
        Assert.Equal(0, await demo.Page.EvalOnSelectorAsync<int>("#answer", "e => e.shadowRoot.querySelectorAll('[part~=text] .chunk *').length"));
        Assert.False(await demo.Page.EvaluateAsync<bool>("() => window.injected === true"));
    }

    [SkippableFact]
    public async Task A_connection_dropped_mid_stream_resumes_with_no_gap_and_no_duplicate()
    {
        // The page's WebSocket goes through Playwright, so the test can cut it like a network would, and refuse the
        // reconnects (the client connects with the WebSocket alone, no negotiate) until it lets the page back.
        var online = true;
        IWebSocketRoute? pageSide = null;
        IWebSocketRoute? serverSide = null;
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output, async page =>
        {
            await page.RouteWebSocketAsync(new Regex("/hubs/agent"), async ws =>
            {
                if (!Volatile.Read(ref online))
                {
                    await ws.CloseAsync(new() { Code = 1011, Reason = "offline (test)" });
                    return;
                }

                pageSide = ws;
                serverSide = ws.ConnectToServer();
            });
        });
        var tokens = Enumerable.Range(1, 60).Select(i => $"token {i}, ").ToArray();
        var streamId = await gateway.Producer.StartStreamAsync(await demo.ThreadId(), NewRunId());
        foreach (var token in tokens[..30])
        {
            await gateway.Producer.StreamTokenAsync(streamId, token);
        }

        await demo.AssertTextBecomes(string.Concat(tokens[..30]));

        Volatile.Write(ref online, false);
        await pageSide!.CloseAsync(new() { Code = 4000, Reason = "network lost (test)" });
        await serverSide!.CloseAsync();
        await demo.WaitFor("document.getElementById('connection').dataset.state === 'reconnecting'", "the page notices the drop");

        // The rest of the answer, and its end, happen while the page is away: only the resume can bring them.
        foreach (var token in tokens[30..])
        {
            await gateway.Producer.StreamTokenAsync(streamId, token);
        }

        await gateway.Producer.EndStreamAsync(streamId, string.Concat(tokens));
        Volatile.Write(ref online, true);
        await demo.WaitFor("document.getElementById('connection').dataset.state === 'connected'", "the page reconnects");

        // Well inside the client's 10 s silence probe: the re-join and GetTokens on reconnect did this.
        await demo.AssertTextBecomes(string.Concat(tokens), TimeSpan.FromSeconds(5));
        Assert.Equal(Enumerable.Range(1, tokens.Length).Select(i => (long)i), await demo.TokenSequences());
        await demo.WaitFor("document.getElementById('answer').getAttribute('state') === 'done'", "the answer is done", TimeSpan.FromSeconds(5));
    }

    [SkippableFact]
    public async Task A_thread_the_user_may_not_watch_is_refused_on_the_page()
    {
        var alicesThread = await gateway.NewThread("alice-" + Guid.NewGuid().ToString("N"));
        var mallory = gateway.TokenFor("mallory-" + Guid.NewGuid().ToString("N"));

        await using var demo = await DemoPage.Load(browser, new Uri(gateway.BaseAddress, $"?access_token={mallory}&thread={alicesThread}"), output);

        await demo.WaitFor("document.getElementById('answer').getAttribute('state') === 'error'", "the join is refused");
        Assert.Equal("You may not watch this conversation.",
            await demo.Page.EvalOnSelectorAsync<string>("#answer", "e => e.shadowRoot.querySelector('[part~=notice]').textContent"));
    }

    [SkippableFact]
    public async Task Without_dev_endpoints_the_page_says_so_and_takes_a_token_and_thread_from_its_address()
    {
        // As with Redis, where the gateway maps no /dev endpoints.
        Task NoDevEndpoints(IPage page) => page.RouteAsync(new Regex("/dev/"), route => route.FulfillAsync(new() { Status = 404 }));
        await using (var bare = await DemoPage.Load(browser, gateway.BaseAddress, output, NoDevEndpoints))
        {
            await bare.WaitFor("!document.getElementById('setup').hidden", "the page explains how to open it");
            Assert.False(await bare.Page.IsVisibleAsync("#stream"));
        }

        var user = "reader-" + Guid.NewGuid().ToString("N");
        var threadId = await gateway.NewThread(user);
        await using var demo = await DemoPage.Load(browser, new Uri(gateway.BaseAddress, $"?access_token={gateway.TokenFor(user)}&thread={threadId}&renderer=text"), output, NoDevEndpoints);
        await demo.WaitFor("document.getElementById('answer').getAttribute('state') === 'waiting'", "the answer element watches the thread");
        var streamId = await gateway.Producer.StartStreamAsync(threadId, NewRunId());
        await gateway.Producer.StreamTokenAsync(streamId, "Hello ");
        await gateway.Producer.StreamTokenAsync(streamId, "World!");
        await gateway.Producer.EndStreamAsync(streamId, "Hello World!");

        await demo.AssertTextBecomes("Hello World!");
        Assert.True(await demo.Page.IsHiddenAsync("#setup"));
    }

    [SkippableFact]
    public async Task Removing_the_element_leaves_its_thread_while_the_page_stays_connected()
    {
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output);
        var threadId = await demo.ThreadId();
        await Eventually.True(async () => await gateway.SubscriptionCount(threadId) == 1, because: "the page's join subscribes the gateway to the thread");

        await demo.Page.EvaluateAsync("() => document.getElementById('answer').remove()");

        await Eventually.True(async () => await gateway.SubscriptionCount(threadId) == 0, because: "the removed element's LeaveThread releases the subscription");
        Assert.Equal("connected", await demo.ConnectionState());
    }

    [SkippableFact]
    public async Task An_element_added_to_a_thread_the_page_already_watches_shows_its_newest_answer()
    {
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output);
        var threadId = await demo.ThreadId();
        await Eventually.True(async () => await gateway.SubscriptionCount(threadId) == 1, because: "the page's join subscribes the gateway to the thread");
        foreach (var answer in new[] { "first answer", "second answer" })
        {
            var streamId = await gateway.Producer.StartStreamAsync(threadId, NewRunId());
            await gateway.Producer.StreamTokenAsync(streamId, answer);
            await gateway.Producer.EndStreamAsync(streamId, answer);
            await demo.AssertTextBecomes(answer);
        }

        // No rejoin: the client hands the new element the thread's streams as its messages left them.
        await demo.Page.EvaluateAsync("threadId => { const e = document.createElement('rehome-ai-response'); e.id = 'second'; e.setAttribute('thread-id', threadId); document.body.append(e); }", threadId);

        await demo.WaitFor("document.getElementById('second').text === 'second answer'", "the new element shows the newest answer");
    }

    [SkippableFact]
    public async Task An_element_joining_two_open_answers_follows_the_newer_and_a_token_of_the_older_does_not_take_it_over()
    {
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output);
        var threadId = await demo.ThreadId();
        await Eventually.True(async () => await gateway.SubscriptionCount(threadId) == 1, because: "the page's join subscribes the gateway to the thread");
        var older = await gateway.Producer.StartStreamAsync(threadId, NewRunId());
        await gateway.Producer.StreamTokenAsync(older, "older");
        await demo.AssertTextBecomes("older");
        var newer = await gateway.Producer.StartStreamAsync(threadId, NewRunId());
        await gateway.Producer.StreamTokenAsync(newer, "newer");
        await demo.AssertTextBecomes("newer");

        // As a page reloaded while two answers run: the new element is handed both open streams and shows the newer.
        await demo.Page.EvaluateAsync("threadId => { const e = document.createElement('rehome-ai-response'); e.id = 'second'; e.setAttribute('thread-id', threadId); document.body.append(e); }", threadId);
        await demo.WaitFor("document.getElementById('second').text === 'newer'", "the new element shows the newer answer");
        await gateway.Producer.StreamTokenAsync(older, " goes on");
        await gateway.Producer.StreamTokenAsync(newer, " goes on");

        await demo.WaitFor("document.getElementById('second').text === 'newer goes on'", "the new element stays on the newer answer");
        await gateway.Producer.EndStreamAsync(older);
        await gateway.Producer.EndStreamAsync(newer);
    }

    [SkippableFact]
    public async Task A_joined_thread_keeps_as_many_ended_streams_as_the_server_lists_and_not_every_one_it_saw()
    {
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output);
        var threadId = await demo.ThreadId();
        await Eventually.True(async () => await gateway.SubscriptionCount(threadId) == 1, because: "the page's join subscribes the gateway to the thread");
        var streamIds = new List<string>();
        for (var i = 1; i <= 25; i++)
        {
            streamIds.Add(await EndedStream(threadId, $"answer {i}"));
        }

        await demo.AssertTextBecomes("answer 25");
        await demo.WaitFor("document.getElementById('answer').getAttribute('state') === 'done'", "the last answer is done");

        var listed = await StreamsHandedToANewWatcher(demo.Page, "await ReHome.sharedClient()", threadId);
        Assert.Equal(streamIds.TakeLast(20).Order(), listed.Order());
    }

    [SkippableFact]
    public async Task A_browser_clock_behind_the_servers_still_forgets_the_oldest_ended_streams_first()
    {
        var user = "browser-" + Guid.NewGuid().ToString("N");
        var threadId = await gateway.NewThread(user);
        var streamIds = new List<string>();
        for (var i = 1; i <= 20; i++)
        {
            streamIds.Add(await EndedStream(threadId, $"answer {i}"));
        }

        // The page's clock runs an hour behind the server's; the join lists the 20 ended streams by the server's clock.
        var page = await browser.NewPage();
        try
        {
            page.Console += (_, message) => output.WriteLine($"[browser {message.Type}] {message.Text}");
            await page.AddInitScriptAsync("""
                const RealDate = Date;
                window.Date = class extends RealDate {
                  constructor(...args) { super(...(args.length ? args : [RealDate.now() - 3600000])); }
                  static now() { return RealDate.now() - 3600000; }
                };
                """);
            await page.ExposeFunctionAsync("mintToken", () => gateway.TokenFor(user));
            await page.GotoAsync(new Uri(gateway.BaseAddress, "health").ToString());
            await page.EvaluateAsync("""
                async threadId => {
                  const { ReHomeClient } = await import('/js/rehome.js');
                  const client = window.client = new ReHomeClient({ accessTokenFactory: () => window.mintToken() });
                  window.ended = [];
                  client.watch(threadId, { onMessage: m => m.done && window.ended.push(m.streamId), onJoined: () => { window.joined = true; } });
                  await client.start();
                }
                """, threadId);
            await PageWait.For(page, "window.joined === true", "the page joins the thread", TimeSpan.FromSeconds(10));
            for (var i = 21; i <= 25; i++)
            {
                streamIds.Add(await EndedStream(threadId, $"answer {i}"));
            }

            await PageWait.For(page, "window.ended.length === 5", "the page saw the five new streams end", TimeSpan.FromSeconds(10));
            var listed = await StreamsHandedToANewWatcher(page, "window.client", threadId);
            Assert.Equal(streamIds.TakeLast(20).Order(), listed.Order());
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    /// <summary>The stream ids the page's client hands a watcher added now to a thread it has joined, without a rejoin.</summary>
    private static async Task<string[]> StreamsHandedToANewWatcher(IPage page, string client, string threadId) =>
        JsonSerializer.Deserialize<string[]>(await page.EvaluateAsync<string>($$"""
            async threadId => {
              const client = {{client}};
              return await new Promise(resolve => {
                const watch = client.watch(threadId, { onMessage() {}, onJoined: streams => { watch.close(); resolve(JSON.stringify(streams.map(s => s.streamId))); } });
              });
            }
            """, threadId))!;

    private async Task<string> EndedStream(string threadId, string answer)
    {
        var streamId = await gateway.Producer.StartStreamAsync(threadId, NewRunId());
        await gateway.Producer.StreamTokenAsync(streamId, answer);
        await gateway.Producer.EndStreamAsync(streamId, answer);
        return streamId;
    }

    private async Task StreamLines(string streamId, int from, int to)
    {
        for (var i = from; i <= to; i++)
        {
            await gateway.Producer.StreamTokenAsync(streamId, $"line {i}\n");
        }
    }

    private static string NewRunId() => "run-" + Guid.NewGuid().ToString("N");
}
