using System.Text;
using System.Text.Json;
using ReHome.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReHome.Tests.Browser;

/// <summary>
/// Long answers stay cheap to paint: the demo's status line is written at most once per frame, and the text is split
/// into blocks so a frame lays out only the one still growing. The frame times themselves are measured by the
/// browser benchmark (bench/browser), not here.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class LongAnswerTests(GatewayFixture gateway, BrowserFixture browser, ITestOutputHelper output)
{
    [SkippableFact]
    public async Task The_status_line_is_written_at_most_once_per_frame_however_fast_tokens_arrive_and_is_busy_meanwhile()
    {
        // Every write of #status is recorded with the animation frame it ran in (null outside one).
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output, page => page.AddInitScriptAsync("""
            window.statusWrites = [];
            let frame = null;
            const raf = window.requestAnimationFrame.bind(window);
            window.requestAnimationFrame = callback => raf(time => { frame = time; try { callback(time); } finally { frame = null; } });
            const text = Object.getOwnPropertyDescriptor(Node.prototype, 'textContent');
            document.addEventListener('DOMContentLoaded', () => {
              Object.defineProperty(document.getElementById('status'), 'textContent', {
                get() { return text.get.call(this); },
                set(value) { window.statusWrites.push({ frame, value, busy: this.getAttribute('aria-busy') }); text.set.call(this, value); },
              });
            });
            """));
        var tokens = Enumerable.Range(1, 400).Select(i => $"w{i} ").ToArray();
        var streamId = await gateway.Producer.StartStreamAsync(await demo.ThreadId(), "run-" + Guid.NewGuid().ToString("N"));
        foreach (var burst in tokens.Chunk(20))
        {
            // Bursts of 20 tokens every 30 ms or so: many tokens per frame, over many frames.
            await Task.WhenAll(burst.Select(token => gateway.Producer.StreamTokenAsync(streamId, token)));
            await Task.Delay(30);
        }

        await gateway.Producer.EndStreamAsync(streamId);
        await demo.WaitFor("document.getElementById('status').textContent.startsWith('Done')", "the status says done");

        var writes = (await demo.Page.EvaluateAsync<JsonElement>("() => window.statusWrites")).EnumerateArray()
            .Select(w => (Frame: w.GetProperty("frame").ValueKind == JsonValueKind.Null ? (double?)null : w.GetProperty("frame").GetDouble(),
                Value: w.GetProperty("value").GetString()!, Busy: w.GetProperty("busy").GetString()))
            .ToList();
        var pace = writes.Where(w => char.IsDigit(w.Value.FirstOrDefault())).ToList();
        output.WriteLine($"{tokens.Length} tokens, {pace.Count} pace writes, {writes.Count} writes in all");
        Assert.NotEmpty(pace);
        Assert.All(pace, w => Assert.NotNull(w.Frame));
        Assert.Equal(pace.Count, pace.Select(w => w.Frame).Distinct().Count());
        Assert.Equal($"Done · {tokens.Length} tokens", writes[^1].Value);

        // The status is a live region: busy while the pace changes every frame, so screen readers read only the end.
        Assert.All(pace, w => Assert.Equal("true", w.Busy));
        Assert.Equal("false", await demo.Page.GetAttributeAsync("#status", "aria-busy"));
    }

    [SkippableFact]
    public async Task A_200000_character_answer_is_painted_in_blocks_that_end_at_line_breaks_and_look_like_one_text()
    {
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output);
        var tokens = LongAnswer(200_000);
        var streamId = await gateway.Producer.StartStreamAsync(await demo.ThreadId(), "run-" + Guid.NewGuid().ToString("N"));
        await Task.WhenAll(tokens.Select(token => gateway.Producer.StreamTokenAsync(streamId, token)));

        await gateway.Producer.EndStreamAsync(streamId);
        var answer = string.Concat(tokens);
        await demo.AssertTextBecomes(answer, TimeSpan.FromSeconds(60));

        var blocks = await demo.Page.EvalOnSelectorAsync<JsonElement>("#answer", """
            e => {
              const text = e.shadowRoot.querySelector('[part~=text]');
              const chunks = [...text.querySelectorAll('.chunk')];
              // The same text in one block of the same width must take exactly the same height.
              const whole = document.createElement('div');
              whole.style.cssText = `white-space: pre-wrap; overflow-wrap: anywhere; width: ${text.clientWidth}px; font: ${getComputedStyle(text).font}; line-height: ${getComputedStyle(text).lineHeight}`;
              whole.textContent = text.textContent;
              document.body.append(whole);
              const result = {
                count: chunks.length,
                longest: Math.max(...chunks.map(c => c.textContent.length)),
                allEndInLineBreak: chunks.slice(0, -1).every(c => c.textContent.endsWith('\n')),
                textNodesPerChunk: Math.max(...chunks.map(c => c.childNodes.length)),
                height: text.getBoundingClientRect().height,
                wholeHeight: whole.getBoundingClientRect().height,
              };
              whole.remove();
              return result;
            }
            """);
        output.WriteLine(blocks.ToString());
        Assert.True(blocks.GetProperty("count").GetInt32() >= 90, $"the answer is split into blocks: {blocks}");
        Assert.True(blocks.GetProperty("longest").GetInt32() <= 2048 + 200, $"no block is much longer than 2048 characters: {blocks}");
        Assert.True(blocks.GetProperty("allEndInLineBreak").GetBoolean());
        Assert.Equal(1, blocks.GetProperty("textNodesPerChunk").GetInt32());
        Assert.Equal(blocks.GetProperty("wholeHeight").GetDouble(), blocks.GetProperty("height").GetDouble(), 0.5);
    }

    /// <summary>
    /// Prose in tokens of about twenty words (few enough for the per-stream token rate), a line break every few
    /// sentences and a blank line between paragraphs.
    /// </summary>
    public static string[] LongAnswer(int characters)
    {
        var words = "the gateway numbers every token and the browser shows each one once in order without gaps".Split(' ');
        var random = new Random(11);
        var tokens = new List<string>();
        var length = 0;
        var token = new StringBuilder();
        for (var i = 1; length + token.Length < characters; i++)
        {
            token.Append(words[random.Next(words.Length)]).Append(i % 17 == 0 ? ".\n" : i % 97 == 0 ? ".\n\n" : " ");
            if (i % 20 == 0)
            {
                tokens.Add(token.ToString());
                length += token.Length;
                token.Clear();
            }
        }

        tokens.Add(token.ToString()[..(characters - length)]);
        return [.. tokens];
    }
}
