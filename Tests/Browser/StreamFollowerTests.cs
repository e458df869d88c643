using System.Text.Json;
using Microsoft.Playwright;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Browser;

/// <summary>
/// The browser module's ordering rules, in Chromium, for what the real gateway does not do on demand: tokens out of
/// order, a lost done event, history that can no longer be replayed. The hub is a stand-in here; the rest is real.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class StreamFollowerTests(GatewayFixture gateway, BrowserFixture browser) : IAsyncLifetime
{
    /// <summary>Helpers every scenario gets: a stand-in hub holding one stream, a recorder, and a bounded wait.</summary>
    private const string Harness = """
        const { StreamFollower, ReHomeAiResponse, HubError } = await import('/js/rehome.js');
        const msg = (sequence, token) => ({ threadId: 't', runId: 'r', streamId: 's', sequence, token, done: false });
        const doneMsg = (sequence, fullResponse) =>
          ({ threadId: 't', runId: 'r', streamId: 's', sequence, token: null, done: true, fullResponse, reason: 'completed' });
        // `failFirst`: that many GetTokens calls fail as a cluster that did not answer, before it answers.
        function hub(tokens, { done = false, fullResponse = null, keepFrom = 1, silenceProbeMs = 60000, failFirst = 0 } = {}) {
          const calls = [];
          let watcher = null;
          return {
            calls,
            get watcher() { return watcher; },
            silenceProbeMs,
            watch(threadId, w) { watcher = w; return { close() { watcher = null; } }; },
            async getTokens(streamId, after) {
              calls.push(after);
              if (failFirst-- > 0) {
                throw new HubError('unavailable', 'the cluster did not answer; try again.');
              }
              const first = Math.max(after + 1, keepFrom);
              return { threadId: 't', runId: 'r', streamId, firstSequence: first, tokens: tokens.slice(first - 1),
                lastSequence: tokens.length, complete: first === after + 1, done, fullResponse,
                reason: done ? 'completed' : null, detail: null };
            },
          };
        }
        function follow(client) {
          const seen = { sequences: [], text: '', lost: [], end: null, errors: [] };
          const follower = new StreamFollower(client, 's', {
            onTokens: tokens => tokens.forEach(t => { seen.sequences.push(t.sequence); seen.text += t.token; }),
            onHistoryLost: missing => seen.lost.push(missing),
            onEnd: end => { seen.end = end; },
            onError: error => seen.errors.push(error.code),
          });
          return { follower, seen };
        }
        /** A <rehome-ai-response> of thread t on the stand-in hub, on the page and watching; `streamId` pins it to one stream. */
        async function mount(client, streamId = null) {
          const element = document.createElement('rehome-ai-response');
          element.client = client;
          element.setAttribute('thread-id', 't');
          if (streamId) element.setAttribute('stream-id', streamId);
          document.body.append(element);
          await until(() => client.watcher, 'the element watches the thread');
          return element;
        }
        async function until(condition, what) {
          const deadline = performance.now() + 5000;
          while (!condition()) {
            if (performance.now() > deadline) throw new Error('timed out waiting for ' + what);
            await new Promise(resolve => setTimeout(resolve, 10));
          }
        }
        """;

    private IPage _page = null!;

    public async Task InitializeAsync()
    {
        if (browser.Missing is null)
        {
            _page = await browser.NewPage();
            // Any page of the gateway's origin, so the modules import as they do on the demo page.
            await _page.GotoAsync(new Uri(gateway.BaseAddress, "health").ToString());
        }
    }

    public async Task DisposeAsync()
    {
        if (_page is not null)
        {
            await _page.CloseAsync();
        }
    }

    [SkippableFact]
    public async Task Tokens_out_of_order_or_twice_come_out_once_and_in_order()
    {
        var seen = await Run("""
            const client = hub(['a', 'b', 'c', 'd']);
            const { follower, seen } = follow(client);
            follower.push(msg(1, 'a'));
            follower.push(msg(3, 'c'));
            follower.push(msg(2, 'b'));
            follower.push(msg(2, 'b'));
            await until(() => seen.sequences.length >= 4, 'four tokens');
            follower.push(msg(4, 'd'));
            follower.push(msg(1, 'a'));
            follower.push(doneMsg(4, 'abcd'));
            return seen;
            """);

        Assert.Equal([1, 2, 3, 4], Sequences(seen));
        Assert.Equal("abcd", seen.GetProperty("text").GetString());
        Assert.True(seen.GetProperty("end").GetProperty("complete").GetBoolean());
    }

    [SkippableFact]
    public async Task A_sequence_jump_fetches_the_missing_tokens_once()
    {
        var seen = await Run("""
            const client = hub(['a', 'b', 'c', 'd', 'e']);
            const { follower, seen } = follow(client);
            follower.push(msg(1, 'a'));
            follower.push(msg(5, 'e'));
            await until(() => seen.sequences.length >= 5, 'five tokens');
            follower.push(msg(3, 'c'));
            follower.close();
            return { ...seen, calls: client.calls };
            """);

        Assert.Equal([1, 2, 3, 4, 5], Sequences(seen));
        Assert.Equal("abcde", seen.GetProperty("text").GetString());
        Assert.Equal([1L], seen.GetProperty("calls").EnumerateArray().Select(c => c.GetInt64()));
    }

    [SkippableFact]
    public async Task A_cluster_that_did_not_answer_is_retried_not_taken_as_a_refusal()
    {
        var seen = await Run("""
            const client = hub(['a', 'b', 'c'], { silenceProbeMs: 200, failFirst: 1 });
            const { follower, seen } = follow(client);
            follower.push(msg(1, 'a'));
            follower.push(msg(3, 'c'));
            await until(() => seen.sequences.length >= 3, 'three tokens');
            follower.close();
            return { ...seen, calls: client.calls };
            """);

        Assert.Equal([1, 2, 3], Sequences(seen));
        Assert.Empty(seen.GetProperty("errors").EnumerateArray());
        Assert.True(seen.GetProperty("calls").GetArrayLength() >= 2);
    }

    [SkippableFact]
    public async Task A_done_event_ahead_of_its_tokens_waits_for_them()
    {
        var seen = await Run("""
            const client = hub(['a', 'b', 'c'], { done: true, fullResponse: 'abc' });
            const { follower, seen } = follow(client);
            follower.push(msg(1, 'a'));
            follower.push(doneMsg(3, 'abc'));
            await until(() => seen.end, 'the end');
            return seen;
            """);

        Assert.Equal([1, 2, 3], Sequences(seen));
        Assert.True(seen.GetProperty("end").GetProperty("complete").GetBoolean());
    }

    [SkippableFact]
    public async Task A_lost_done_event_is_found_by_the_silence_probe()
    {
        var seen = await Run("""
            const client = hub(['a', 'b'], { done: true, fullResponse: 'ab', silenceProbeMs: 300 });
            const { follower, seen } = follow(client);
            follower.push(msg(1, 'a'));
            follower.push(msg(2, 'b'));
            await until(() => seen.end, 'the end, found by the probe');
            return { ...seen, calls: client.calls };
            """);

        Assert.Equal([1, 2], Sequences(seen));
        Assert.Equal("ab", seen.GetProperty("end").GetProperty("fullResponse").GetString());
        Assert.Equal([2L], seen.GetProperty("calls").EnumerateArray().Select(c => c.GetInt64()));
    }

    [SkippableFact]
    public async Task History_that_cannot_be_replayed_is_reported_never_closed_silently()
    {
        var seen = await Run("""
            const client = hub(['a', 'b', 'c', 'd', 'e'], { done: true, fullResponse: 'abcde', keepFrom: 4 });
            const { follower, seen } = follow(client);
            follower.push(msg(1, 'a'));
            follower.push(msg(5, 'e'));
            await until(() => seen.end, 'the end');
            return seen;
            """);

        Assert.Equal([1, 4, 5], Sequences(seen));
        var lost = Assert.Single(seen.GetProperty("lost").EnumerateArray());
        Assert.Equal((2, 3), (lost.GetProperty("from").GetInt32(), lost.GetProperty("to").GetInt32()));
        Assert.False(seen.GetProperty("end").GetProperty("complete").GetBoolean());
    }

    [SkippableTheory]
    [InlineData("abcde", "abcde", "")]
    [InlineData(null, "a […] de", "not available")]
    public async Task The_element_shows_the_full_response_for_lost_history_or_says_the_text_is_partial(string? fullResponse, string shown, string notice)
    {
        var result = await Run($$"""
            const client = hub(['a', 'b', 'c', 'd', 'e'], { done: true, fullResponse: {{JsonSerializer.Serialize(fullResponse)}}, keepFrom: 4 });
            const element = await mount(client);
            const done = new Promise(resolve => element.addEventListener('rehome-done', e => resolve(e.detail)));
            client.watcher.onMessage(msg(1, 'a'));
            client.watcher.onMessage(doneMsg(5, {{JsonSerializer.Serialize(fullResponse)}}));
            const detail = await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error('no rehome-done in 5 s')), 5000))]);
            await new Promise(requestAnimationFrame);
            await new Promise(requestAnimationFrame);
            const text = element.shadowRoot.querySelector('[part~=text]').textContent;
            const notice = element.shadowRoot.querySelector('[part~=notice]').textContent;
            element.remove();
            return { text, notice, complete: detail.complete };
            """);

        Assert.Equal(shown, result.GetProperty("text").GetString());
        if (notice.Length == 0)
        {
            Assert.Equal("", result.GetProperty("notice").GetString());
        }
        else
        {
            Assert.Contains(notice, result.GetProperty("notice").GetString());
        }

        Assert.Equal(fullResponse is not null, result.GetProperty("complete").GetBoolean());
    }

    [SkippableFact]
    public async Task An_element_asked_for_a_stream_before_it_started_shows_it_streaming_once_its_tokens_come()
    {
        var result = await Run("""
            const client = hub(['a', 'b']);
            const fetch = client.getTokens;
            let started = false;
            client.getTokens = (streamId, after) =>
              started ? fetch(streamId, after) : Promise.reject(new HubError('stream_not_found', 'no such stream yet'));
            const element = await mount(client, 's');
            client.watcher.onJoined([]);
            await until(() => element.getAttribute('state') === 'waiting', 'waiting for the stream to start');

            started = true;
            client.watcher.onMessage(msg(1, 'a'));
            await until(() => element.getAttribute('state') === 'streaming', 'streaming once its first token came');
            const busy = element.getAttribute('aria-busy');
            element.remove();
            return { busy };
            """);

        Assert.Equal("true", result.GetProperty("busy").GetString());
    }

    [SkippableFact]
    public async Task A_fetch_the_end_waits_on_that_failed_is_asked_again_soon_not_at_the_silence_probe()
    {
        var seen = await Run("""
            const client = hub(['a', 'b', 'c'], { done: true, fullResponse: 'abc', failFirst: 1 });
            const { follower, seen } = follow(client);
            follower.push(msg(1, 'a'));
            follower.push(doneMsg(3, 'abc'));
            await until(() => seen.end, 'the end, long before the 60 s silence probe');
            return seen;
            """);

        Assert.Equal([1, 2, 3], Sequences(seen));
        Assert.True(seen.GetProperty("end").GetProperty("complete").GetBoolean());
    }

    [SkippableFact]
    public async Task A_follower_the_page_closes_from_its_token_handler_reports_nothing_more()
    {
        var seen = await Run("""
            const client = hub(['a', 'b', 'c'], { done: true, fullResponse: 'abc' });
            const seen = { sequences: [], end: null };
            const follower = new StreamFollower(client, 's', {
              onTokens: tokens => { tokens.forEach(t => seen.sequences.push(t.sequence)); follower.close(); },
              onEnd: end => { seen.end = end; },
            });
            follower.resync();
            await until(() => seen.sequences.length > 0, 'the page of tokens');
            await new Promise(resolve => setTimeout(resolve, 100));
            return seen;
            """);

        Assert.Equal([1, 2, 3], Sequences(seen));
        Assert.Equal(JsonValueKind.Null, seen.GetProperty("end").ValueKind);
    }

    [SkippableFact]
    public async Task An_element_refused_by_the_thread_quota_goes_on_with_its_stream_once_it_joins()
    {
        var result = await Run("""
            const client = hub(['a', 'b']);
            const element = await mount(client);
            const events = { tokens: 0, streams: 0 };
            element.addEventListener('rehome-token', () => events.tokens++);
            element.addEventListener('rehome-stream', () => events.streams++);
            const listed = { threadId: 't', runId: 'r', streamId: 's', lastSequence: 2, done: false, startedAt: new Date().toISOString() };
            client.watcher.onJoined([listed]);
            await until(() => element.text === 'ab', 'the stream shown');

            // A rejoin after a reconnect found the connection at its thread quota; a place frees up later.
            client.watcher.onError(new HubError('quota_exceeded', 'too many threads on this connection'));
            await until(() => element.getAttribute('state') === 'error', 'the quota shown');
            client.watcher.onJoined([listed]);
            client.watcher.onMessage(msg(3, 'c'));
            await until(() => element.text === 'abc', 'the stream going on');
            const state = element.getAttribute('state');
            element.remove();
            return { state, ...events };
            """);

        Assert.Equal("streaming", result.GetProperty("state").GetString());
        // Resumed where it was: no token shown twice, no second start of the stream.
        Assert.Equal(3, result.GetProperty("tokens").GetInt32());
        Assert.Equal(1, result.GetProperty("streams").GetInt32());
    }

    [SkippableFact]
    public async Task An_answer_that_ends_while_its_element_is_over_the_quota_keeps_the_quota_notice_until_it_joins()
    {
        var result = await Run("""
            const client = hub(['a', 'b'], { done: true, fullResponse: 'ab', silenceProbeMs: 300 });
            const element = await mount(client);
            const listed = { threadId: 't', runId: 'r', streamId: 's', lastSequence: 1, done: false, startedAt: new Date().toISOString() };
            client.watcher.onError(new HubError('quota_exceeded', 'too many threads on this connection'));
            element.follow('s');
            client.watcher.onMessage(msg(1, 'a'));

            // The follower's probe finds the end while the thread is still not joined.
            await until(() => element.getAttribute('state') === 'done', 'the answer ended');
            const notice = () => element.shadowRoot.querySelector('[part~=notice]').textContent;
            const whileOver = notice();
            client.watcher.onJoined([{ ...listed, lastSequence: 2, done: true }]);
            const joined = notice();
            const state = element.getAttribute('state');
            element.remove();
            return { whileOver, joined, state };
            """);

        Assert.Contains("Too many conversations", result.GetProperty("whileOver").GetString());
        Assert.Equal("", result.GetProperty("joined").GetString());
        Assert.Equal("done", result.GetProperty("state").GetString());
    }

    [SkippableFact]
    public async Task A_followed_stream_that_ended_gives_way_to_a_newer_one_a_later_join_lists()
    {
        var result = await Run("""
            const client = hub(['a', 'b']);
            const element = await mount(client);
            element.follow('s');
            client.watcher.onJoined([]);
            client.watcher.onMessage(doneMsg(2, 'ab'));
            await until(() => element.getAttribute('state') === 'done', 'the followed stream ended');

            // It retired, so a rejoin no longer lists it; a newer answer started while the connection was away.
            client.watcher.onJoined([{ threadId: 't', runId: 'r2', streamId: 'newer', lastSequence: 2, done: false,
              startedAt: new Date().toISOString() }]);
            await until(() => element.streamId === 'newer', 'the newer stream shown');
            element.remove();
            return {};
            """);

        Assert.Equal(JsonValueKind.Object, result.ValueKind);
    }

    [SkippableFact]
    public async Task An_element_told_to_follow_a_stream_before_its_first_join_keeps_it_over_an_older_listed_one()
    {
        var result = await Run("""
            const client = hub(['a', 'b']);
            const element = await mount(client);

            // The page started stream s and follows it; the join's list predates it and holds the previous answer.
            element.follow('s');
            client.watcher.onJoined([{ threadId: 't', runId: 'r0', streamId: 'previous', lastSequence: 5, done: true,
              startedAt: new Date(Date.now() - 60000).toISOString() }]);
            client.watcher.onMessage(msg(3, 'c'));
            await until(() => element.text === 'abc', "the followed stream's tokens");
            const shown = element.streamId;
            element.remove();
            return { shown };
            """);

        Assert.Equal("s", result.GetProperty("shown").GetString());
    }

    [SkippableFact]
    public async Task An_element_whose_shown_stream_is_no_longer_kept_says_so_rather_than_wait_for_it()
    {
        var result = await Run("""
            const client = hub(['a', 'b', 'c'], { silenceProbeMs: 200 });
            const answer = client.getTokens.bind(client);
            let expired = false;
            client.getTokens = (streamId, after) =>
              expired ? Promise.reject(new HubError('stream_not_found', 'no such stream')) : answer(streamId, after);
            const element = await mount(client, 's');
            const errors = [];
            element.addEventListener('rehome-error', e => errors.push(e.detail.code));
            client.watcher.onJoined([]);
            client.watcher.onMessage(msg(1, 'a'));
            await until(() => element.text === 'abc', 'the stream shown');

            // The tab slept past the stream's retention: its end and its history are gone.
            expired = true;
            await until(() => element.getAttribute('state') === 'error', 'the element gives up on the stream');
            await new Promise(requestAnimationFrame);
            const notice = element.shadowRoot.querySelector('[part~=notice]').textContent;
            const text = element.text;
            element.remove();
            return { notice, text, errors };
            """);

        Assert.Contains("no longer kept", result.GetProperty("notice").GetString());
        Assert.Equal("abc", result.GetProperty("text").GetString());
        Assert.Equal(["stream_not_found"], result.GetProperty("errors").EnumerateArray().Select(e => e.GetString()));
    }

    [SkippableFact]
    public async Task A_stop_still_in_flight_for_one_answer_neither_shows_on_nor_stands_in_for_the_next()
    {
        var result = await Run("""
            const client = hub(['a']);
            const stops = [];
            // A stop that is still being tried again (a reconnect, a failover): it never answers here.
            client.cancelStream = streamId => { stops.push(streamId); return new Promise(() => {}); };
            const element = await mount(client);
            element.setAttribute('stop-button', '');
            client.watcher.onJoined([]);
            client.watcher.onMessage(msg(1, 'a'));
            await until(() => element.streamId === 's' && element.getAttribute('state') === 'streaming', 'the first answer shown');
            element.stop();
            const button = element.shadowRoot.querySelector('[part~=stop]');
            const first = button.textContent;

            client.watcher.onMessage({ ...msg(1, 'b'), streamId: 's2' });
            await until(() => element.streamId === 's2', 'the next answer shown');
            const next = { text: button.textContent, disabled: button.getAttribute('aria-disabled') };
            element.stop();
            element.remove();
            return { first, next, stops };
            """);

        Assert.Equal("Stopping…", result.GetProperty("first").GetString());
        Assert.Equal("Stop", result.GetProperty("next").GetProperty("text").GetString());
        Assert.Equal("false", result.GetProperty("next").GetProperty("disabled").GetString());
        Assert.Equal(["s", "s2"], result.GetProperty("stops").EnumerateArray().Select(s => s.GetString()));
    }

    [SkippableFact]
    public async Task An_ended_answer_pinned_to_its_stream_keeps_its_text_when_moved_and_asks_for_nothing()
    {
        var result = await Run("""
            const client = hub(['a', 'b', 'c'], { done: true, fullResponse: 'abc' });
            const element = await mount(client, 's');
            client.watcher.onJoined([]);
            await until(() => element.getAttribute('state') === 'done', 'the answer shown');
            const asked = client.calls.length;

            // A chat history reordered: the element is taken out and put back in one task.
            document.body.prepend(element);
            const right = element.shadowRoot.querySelector('[part~=text]').textContent;
            for (let i = 0; i < 3; i++) await new Promise(requestAnimationFrame);
            const after = { text: element.text, state: element.getAttribute('state'), asked: client.calls.length - asked };
            element.remove();
            return { right, after };
            """);

        Assert.Equal("abc", result.GetProperty("right").GetString());
        Assert.Equal("abc", result.GetProperty("after").GetProperty("text").GetString());
        Assert.Equal("done", result.GetProperty("after").GetProperty("state").GetString());
        Assert.Equal(0, result.GetProperty("after").GetProperty("asked").GetInt32());
    }

    [SkippableFact]
    public async Task A_notice_at_the_end_of_a_long_answer_is_scrolled_into_view_for_a_reader_at_the_bottom()
    {
        var result = await Run("""
            const lines = Array.from({ length: 40 }, (_, i) => `line ${i + 1}\n`);
            const client = hub(lines);
            const element = await mount(client);
            element.style.display = 'block';
            element.style.height = '120px';
            client.watcher.onJoined([]);
            lines.forEach((line, i) => client.watcher.onMessage(msg(i + 1, line)));
            await until(() => element.text === lines.join(''), 'the answer shown');
            for (let i = 0; i < 2; i++) await new Promise(requestAnimationFrame);

            // Stopped by someone else: a notice, and no more text to paint.
            client.watcher.onMessage({ ...doneMsg(40, lines.join('')), reason: 'cancelled', detail: 'stopped by bob' });
            await until(() => element.getAttribute('state') === 'done', 'the answer ends');
            const notice = element.shadowRoot.querySelector('[part~=notice]').textContent;
            const fromBottom = element.scrollHeight - element.scrollTop - element.clientHeight;
            element.remove();
            return { notice, fromBottom };
            """);

        Assert.Contains("bob", result.GetProperty("notice").GetString());
        Assert.InRange(result.GetProperty("fromBottom").GetDouble(), 0, 1);
    }

    private async Task<JsonElement> Run(string scenario)
    {
        Skip.If(browser.Missing is not null, browser.Missing);
        return await _page.EvaluateAsync<JsonElement>($"async () => {{\n{Harness}\n{scenario}\n}}");
    }

    private static long[] Sequences(JsonElement seen) => [.. seen.GetProperty("sequences").EnumerateArray().Select(s => s.GetInt64())];
}
