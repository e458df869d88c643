using ReHome.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReHome.Tests.Browser;

/// <summary>The stop button in Chromium: what the producer and a second tab see, also after a reload.</summary>
[Collection(BrowserCollection.Name)]
public sealed class StopTests(GatewayFixture gateway, BrowserFixture browser, ITestOutputHelper output)
{
    private const string StopButton = "#answer >> [part~=stop]";

    [SkippableFact]
    public async Task Pressing_stop_mid_stream_stops_the_producer_at_its_next_append_and_a_second_tab_sees_the_same_done_event()
    {
        var user = "stopper-" + Guid.NewGuid().ToString("N");
        await using var first = await DemoPage.Open(browser, gateway.BaseAddress, output, user: user);
        await using var second = await DemoPage.Open(browser, gateway.BaseAddress, output, user: user);
        var threadId = await first.ThreadId();
        Assert.Equal(threadId, await second.ThreadId());
        await RecordDone(first);
        await RecordDone(second);
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "Let me think ");
        await gateway.Producer.StreamTokenAsync(streamId, "about that…");
        await first.AssertTextBecomes("Let me think about that…");
        Assert.True(await first.Page.IsVisibleAsync(StopButton), "the stop button shows while the answer streams");

        await first.Page.ClickAsync(StopButton);
        await first.WaitFor("window.done !== undefined", "the first tab's answer ends");

        // The stop has landed once the done event is out: the producer's very next append is refused.
        var refused = await Assert.ThrowsAsync<StreamCancelledException>(() => gateway.Producer.StreamTokenAsync(streamId, " Still going."));
        Assert.Equal($"stopped by {user}", refused.Detail);
        await second.WaitFor("window.done !== undefined", "the second tab's answer ends");
        foreach (var tab in new[] { first, second })
        {
            Assert.Equal($$"""{"reason":"cancelled","detail":"stopped by {{user}}","text":"Let me think about that…"}""",
                await tab.Page.EvaluateAsync<string>("() => JSON.stringify(window.done)"));
            Assert.Equal($"Stopped by {user}.", await Notice(tab));
            Assert.False(await tab.Page.IsVisibleAsync(StopButton), "no stop button once the answer is over");
        }
    }

    [SkippableFact]
    public async Task After_a_reload_the_stop_button_stops_the_stream_the_page_picked_up_again()
    {
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output);
        var threadId = await demo.ThreadId();
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "Before the reload. ");
        await demo.AssertTextBecomes("Before the reload. ");

        await demo.Page.ReloadAsync();
        await demo.AssertTextBecomes("Before the reload. ");
        await gateway.Producer.StreamTokenAsync(streamId, "After it.");
        await demo.AssertTextBecomes("Before the reload. After it.");
        var result = await demo.Page.EvalOnSelectorAsync<string>("#answer", "async e => JSON.stringify(await e.stop('changed my mind'))");

        Assert.Contains("\"cancelled\":true", result);
        await demo.WaitFor("document.getElementById('answer').getAttribute('state') === 'done'", "the answer ends");
        var info = await gateway.Grains.GetGrain<IStreamGrain>(streamId).GetInfo();
        Assert.Equal((StreamEndReason.Cancelled, $"stopped by {await demo.Page.EvaluateAsync<string>("() => document.getElementById('user').textContent")}: changed my mind"),
            (info.Reason!.Value, info.Detail));
        Assert.Contains("\"cancelled\":false", await demo.Page.EvalOnSelectorAsync<string>("#answer",
            "async e => JSON.stringify(await e.client?.cancelStream(e.streamId) ?? await (await ReHome.sharedClient()).cancelStream(e.streamId))"));
    }

    [SkippableFact]
    public async Task Stopping_from_the_keyboard_leaves_the_focus_on_the_answer()
    {
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output);
        var streamId = await gateway.Producer.StartStreamAsync(await demo.ThreadId(), "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "Going on");
        await demo.AssertTextBecomes("Going on");

        await demo.Page.FocusAsync(StopButton);
        await demo.Page.Keyboard.PressAsync("Enter");
        await demo.WaitFor("document.getElementById('answer').getAttribute('state') === 'done'", "the answer ends");

        // The button hid once the answer ended; the focus did not fall to the page's body.
        Assert.Equal("REHOME-AI-RESPONSE", await demo.Page.EvaluateAsync<string>("() => document.activeElement.tagName"));
    }

    private static Task RecordDone(DemoPage tab) => tab.Page.EvaluateAsync("""
        () => document.getElementById('answer').addEventListener('rehome-done',
          e => { window.done = { reason: e.detail.reason, detail: e.detail.detail, text: e.detail.text }; })
        """);

    private static Task<string> Notice(DemoPage tab) =>
        tab.Page.EvalOnSelectorAsync<string>("#answer", "e => e.shadowRoot.querySelector('[part~=notice]').textContent");
}
