using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using ReHome.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReHome.Tests.Browser;

/// <summary>
/// The gateway for these tests: connections keep short queues and a small socket send buffer, so a tab that stops
/// reading for a few seconds falls behind; and they are not disconnected for it within a test.
/// </summary>
public sealed class ShortQueueGatewayFixture : GatewayFixture
{
    protected override Dictionary<string, string?> Settings => new()
    {
        ["Gateway:ConnectionQueueLimit"] = "2",
        ["Gateway:BehindTimeout"] = "00:01:00",
    };

    protected override void Configure(WebApplicationBuilder builder) => UseSmallSendBuffers(builder);
}

/// <summary>
/// Alone, after the parallel collections: their gateways share this process's meters by name, and its timing is
/// steadier without them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ShortQueueBrowserCollection : ICollectionFixture<ShortQueueGatewayFixture>, ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser with short connection queues";
}

/// <summary>What a reader sees in Chromium when the gateway says the tab is behind, or that its access was revoked.</summary>
[Collection(ShortQueueBrowserCollection.Name)]
public sealed class BehindAndRevokedTests(ShortQueueGatewayFixture gateway, BrowserFixture browser, ITestOutputHelper output)
{
    [SkippableFact]
    public async Task A_tab_that_stopped_reading_is_told_it_is_behind_and_shows_the_whole_answer_without_a_break()
    {
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output, RecordEvents);
        var streamId = await gateway.Producer.StartStreamAsync(await demo.ThreadId(), "run-" + Guid.NewGuid().ToString("N"));
        var tokens = Enumerable.Range(1, 1500).Select(i => $"{i:0000}" + new string('.', 300) + "\n").ToList();
        await gateway.Producer.StreamTokenAsync(streamId, tokens[0]);
        await demo.WaitForTextContaining(tokens[0]);
        using var behind = new CounterProbe(gateway.Services, "rehome.gateway.connections_behind");

        // The tab's main thread waits on a synchronous request (a long task, a frozen tab) until the whole answer
        // has been produced; the request is answered only then.
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await demo.Page.RouteAsync("**/stall", async route =>
        {
            stalled.TrySetResult();
            await release.Task;
            await route.FulfillAsync(new() { Status = 204 });
        });
        var stalling = demo.Page.EvaluateAsync("() => { const request = new XMLHttpRequest(); request.open('GET', '/stall', false); request.send(); }");
        await stalled.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await Produce(streamId, tokens);
        release.SetResult();
        await stalling;

        await demo.WaitFor("document.getElementById('answer').getAttribute('state') === 'done'", "the answer is done", TimeSpan.FromSeconds(60));
        await demo.AssertTextBecomes(string.Concat(tokens));
        Assert.Equal(Enumerable.Range(1, tokens.Count).Select(i => (long)i), await demo.TokenSequences());
        Assert.True(behind.Total > 0, "the gateway cut the tab's queue and told it it was behind");
        Assert.Empty(await demo.Page.EvaluateAsync<string[]>("() => window.states.filter(s => s === 'reconnecting' || s === 'disconnected')"));
        Assert.Empty(await demo.Page.EvaluateAsync<string[]>("() => window.errors"));
    }

    [SkippableFact]
    public async Task A_reader_removed_from_the_thread_is_told_and_sees_no_more_of_it()
    {
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output, RecordEvents);
        var threadId = await demo.ThreadId();
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "before ");
        await demo.WaitForTextContaining("before ");

        using (var http = gateway.ServiceClient())
        {
            var response = await http.PutAsJsonAsync($"/api/v1/threads/{threadId}", new { ownerUserId = "someone-else", memberUserIds = Array.Empty<string>() });
            response.EnsureSuccessStatusCode();
        }

        await demo.WaitFor("window.errors.includes('revoked')", "the element reports the revocation", TimeSpan.FromSeconds(10));
        // The new owner watches through the same gateway: once its done event arrived, anything still sent to the
        // removed tab would have been sent too.
        await using var owner = await Viewer.Connect(gateway, "someone-else");
        await owner.Join(threadId);
        await gateway.Producer.StreamTokenAsync(streamId, "after");
        await gateway.Producer.EndStreamAsync(streamId);
        await owner.WaitForDone(streamId);
        await demo.Page.EvaluateAsync("() => new Promise(requestAnimationFrame)");

        Assert.Equal("error", await demo.State());
        Assert.Equal(new long[] { 1 }, await demo.TokenSequences());
        Assert.DoesNotContain("after", await demo.RenderedText());
    }

    [SkippableFact]
    public async Task The_element_fetches_what_was_dropped_as_soon_as_it_is_told_it_is_behind()
    {
        // A stand-in client, so that only the behind notice (not a later token, nor the 60 s silence probe) can
        // trigger the fetch: the last two tokens and the end were dropped for this tab.
        await using var demo = await DemoPage.Load(browser, new Uri(gateway.BaseAddress, "health"), output);
        var result = await demo.Page.EvaluateAsync<System.Text.Json.JsonElement>("""
            async () => {
              await import('/js/rehome.js');
              const calls = [];
              let watcher = null;
              const client = {
                silenceProbeMs: 60000,
                watch(threadId, w) { watcher = w; return { close() { watcher = null; } }; },
                async getTokens(streamId, after) {
                  calls.push(after);
                  return { threadId: 't', runId: 'r', streamId, firstSequence: after + 1, tokens: ['a', 'b', 'c'].slice(after),
                    lastSequence: 3, complete: true, done: true, fullResponse: 'abc', reason: 'completed', detail: null };
                },
              };
              const element = document.createElement('rehome-ai-response');
              element.client = client;
              element.setAttribute('thread-id', 't');
              document.body.append(element);
              const until = async (condition, what) => {
                const deadline = performance.now() + 5000;
                while (!condition()) {
                  if (performance.now() > deadline) throw new Error('timed out waiting for ' + what);
                  await new Promise(resolve => setTimeout(resolve, 10));
                }
              };
              await until(() => watcher, 'the element watches the thread');
              watcher.onJoined([{ streamId: 's', runId: 'r', lastSequence: 0, done: false, reason: null, startedAt: new Date().toISOString() }]);
              watcher.onMessage({ threadId: 't', runId: 'r', streamId: 's', sequence: 1, token: 'a', done: false });
              watcher.onBehind({ threadId: 't', streamId: 's', lastSequence: 1 });
              await until(() => element.getAttribute('state') === 'done', 'the end');
              return { calls, text: element.text };
            }
            """);

        Assert.Equal([1L], result.GetProperty("calls").EnumerateArray().Select(c => c.GetInt64()));
        Assert.Equal("abc", result.GetProperty("text").GetString());
    }

    private static Task RecordEvents(Microsoft.Playwright.IPage page) => page.AddInitScriptAsync("""
        window.errors = [];
        window.states = [];
        document.addEventListener('rehome-error', e => window.errors.push(e.detail.code));
        addEventListener('load', async () => {
          const client = await ReHome.sharedClient();
          client.addEventListener('statechange', e => window.states.push(e.detail.state));
        });
        """);

    /// <summary>Tokens (all but the first) at about 250 a second, so that most are messages of their own; then the end.</summary>
    private async Task Produce(string streamId, List<string> tokens)
    {
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(4));
        var sends = new List<Task<long>>();
        foreach (var token in tokens.Skip(1))
        {
            await pace.WaitForNextTickAsync();
            sends.Add(gateway.Producer.StreamTokenAsync(streamId, token));
        }

        await Task.WhenAll(sends);
        await gateway.Producer.EndStreamAsync(streamId, string.Concat(tokens));
    }
}
