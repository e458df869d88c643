using System.Net.Http.Json;
using System.Text.Json;
using ReHome.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReHome.Tests.Browser;

/// <summary>A gateway that lets one connection join two threads at a time.</summary>
public sealed class TwoThreadGatewayFixture : GatewayFixture
{
    protected override Dictionary<string, string?> Settings => new() { ["Quotas:ThreadsPerConnection"] = "2" };
}

/// <summary>
/// A page whose connection holds as many threads as the gateway allows, in Chromium: the element over the quota says
/// so, the client does not keep asking, and the thread is joined once the page leaves another.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ThreadQuotaTests(BrowserFixture browser, TwoThreadGatewayFixture gateway, ITestOutputHelper output)
    : IClassFixture<TwoThreadGatewayFixture>
{
    [SkippableFact]
    public async Task An_answer_over_the_thread_quota_says_so_and_starts_once_the_page_leaves_another_thread()
    {
        var (demo, _, waiting) = await DemoHoldingBothPlaces();
        await using var page = demo;
        await demo.Page.EvaluateAsync("""
            waiting => {
              const second = document.createElement('rehome-ai-response');
              second.id = 'second';
              second.setAttribute('thread-id', waiting);
              second.addEventListener('rehome-error', e => quotaLog.push('error ' + e.detail.code));
              document.body.append(second);
            }
            """, waiting);

        await demo.WaitFor("document.getElementById('second').getAttribute('state') === 'error'", "the second answer is refused");
        Assert.Equal("Too many conversations are open here; this one starts when another closes.", await Notice());
        // Past the 2 s after which a failed join is tried again: this one is not, until a place frees up.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(["held joined", "error quota_exceeded"], await Log());

        await demo.Page.EvaluateAsync("() => window.heldWatch.close()");
        await demo.WaitFor("document.getElementById('second').getAttribute('state') === 'waiting'", "the second answer watches its thread",
            TimeSpan.FromSeconds(5));
        Assert.Equal("", await Notice());
        var streamId = await gateway.Producer.StartStreamAsync(waiting, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "in its place");
        await gateway.Producer.EndStreamAsync(streamId);
        await demo.WaitFor("document.getElementById('second').getAttribute('state') === 'done'", "the second answer streams");
        Assert.Equal("in its place", await demo.Page.EvalOnSelectorAsync<string>("#second", "e => e.text"));
        Assert.Equal(["held joined", "error quota_exceeded"], await Log());

        Task<string> Notice() => demo.Page.EvalOnSelectorAsync<string>("#second", "e => e.shadowRoot.querySelector('[part~=notice]').textContent");

        async Task<string[]> Log() => (await demo.Page.EvaluateAsync<JsonElement>("() => window.quotaLog"))
            .EnumerateArray().Select(e => e.GetString()!).ToArray();
    }

    [SkippableFact]
    public async Task A_thread_revoked_from_the_page_frees_its_place_for_one_that_waits()
    {
        var (demo, held, waiting) = await DemoHoldingBothPlaces();
        await using var page = demo;
        await demo.Page.EvaluateAsync("""
            async waiting => {
              const client = await ReHome.sharedClient();
              client.watch(waiting, { onMessage() {}, onJoined: () => quotaLog.push('waiting joined'), onError: e => quotaLog.push('waiting ' + e.code) });
            }
            """, waiting);
        await demo.WaitFor("window.quotaLog.includes('waiting quota_exceeded')", "the second thread is over the quota");

        // The user loses the held thread while watching it: the gateway takes it off the connection.
        using (var http = gateway.ServiceClient())
        {
            var response = await http.PutAsJsonAsync($"/api/v1/threads/{held}", new { ownerUserId = "someone-else", memberUserIds = Array.Empty<string>() });
            response.EnsureSuccessStatusCode();
        }

        await demo.WaitFor("window.quotaLog.includes('waiting joined')", "the waiting thread takes the freed place", TimeSpan.FromSeconds(10));
        Assert.Equal(["held joined", "waiting quota_exceeded", "held revoked", "waiting joined"],
            (await demo.Page.EvaluateAsync<JsonElement>("() => window.quotaLog")).EnumerateArray().Select(e => e.GetString()!));
    }

    /// <summary>
    /// The demo page with both of its connection's places taken: the demo's own answer, and a watch of a second thread
    /// of its user (window.heldWatch, logging to window.quotaLog); and a third thread of that user, not yet watched.
    /// </summary>
    private async Task<(DemoPage Demo, string Held, string Waiting)> DemoHoldingBothPlaces()
    {
        var demo = await DemoPage.Open(browser, gateway.BaseAddress, output);
        await demo.WaitFor("document.getElementById('answer').getAttribute('state') === 'waiting'", "the demo answer watches its thread");
        var user = await demo.Page.EvalOnSelectorAsync<string>("#user", "e => e.textContent");
        var (held, waiting) = (await gateway.NewThread(user), await gateway.NewThread(user));
        await demo.Page.EvaluateAsync("""
            async held => {
              window.quotaLog = [];
              const client = await ReHome.sharedClient();
              window.heldWatch = client.watch(held, {
                onMessage() {}, onJoined: () => quotaLog.push('held joined'), onError: e => quotaLog.push('held ' + e.code) });
              while (!quotaLog.includes('held joined')) await new Promise(resolve => setTimeout(resolve, 10));
            }
            """, held);
        return (demo, held, waiting);
    }
}
