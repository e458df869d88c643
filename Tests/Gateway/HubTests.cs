using System.Net;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

[Collection(GatewayCollection.Name)]
public sealed class HubTests(GatewayFixture gateway)
{
    [Theory]
    [InlineData(null)]
    [InlineData("not-a-jwt")]
    public async Task Negotiate_without_a_valid_token_is_401(string? token)
    {
        var response = await Negotiate(token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task An_expired_token_is_refused_and_a_valid_one_accepted()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await Negotiate(gateway.TokenFor("alice", TimeSpan.FromMinutes(-5)))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Negotiate(gateway.TokenFor("alice"))).StatusCode);
    }

    [Fact]
    public async Task A_token_in_the_query_string_counts_only_on_the_websocket_itself()
    {
        // Negotiate sends its token as a header; only WebSocket and SSE requests, which cannot, may use the query.
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };

        var response = await http.PostAsync($"/hubs/agent/negotiate?negotiateVersion=1&access_token={gateway.TokenFor("alice")}", null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private async Task<HttpResponseMessage> Negotiate(string? token)
    {
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        }

        return await http.PostAsync("/hubs/agent/negotiate?negotiateVersion=1", null);
    }

    [Fact]
    public async Task Joining_a_thread_you_may_not_watch_is_forbidden()
    {
        var threadId = await gateway.NewThread("alice");
        await using var mallory = await Viewer.Connect(gateway, "mallory");

        var error = await Assert.ThrowsAsync<HubException>(() => mallory.Join(threadId));

        Assert.StartsWith("forbidden", Viewer.ServerMessage(error));
    }

    [Fact]
    public async Task A_second_user_can_neither_join_nor_receive_another_users_thread()
    {
        var alicesThread = await gateway.NewThread("alice");
        var bobsThread = await gateway.NewThread("bob");
        await using var alice = await Viewer.Connect(gateway, "alice");
        await using var bob = await Viewer.Connect(gateway, "bob");
        await alice.Join(alicesThread);
        await bob.Join(bobsThread);

        var streamId = await gateway.Producer.StartStreamAsync(alicesThread, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "secret");
        await gateway.Producer.EndStreamAsync(streamId);
        await alice.WaitForDone(streamId);

        Assert.StartsWith("forbidden", Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(() => bob.Join(alicesThread))));
        Assert.StartsWith("stream_not_found", Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(() => bob.GetTokens(streamId, 0))));
        Assert.Empty(bob.Received);
        Assert.Equal("secret", alice.Tokens(streamId).Single().Token);
    }

    [Fact]
    public async Task The_seed_flow_arrives_as_sequences_one_and_two_then_done_once()
    {
        var threadId = await gateway.NewThread("alice");
        await using var viewer = await Viewer.Connect(gateway, "alice");
        await viewer.Join(threadId);

        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "Hello ");
        await gateway.Producer.StreamTokenAsync(streamId, "World!");
        Assert.True(await gateway.Producer.EndStreamAsync(streamId, "Hello World!"));
        Assert.False(await gateway.Producer.EndStreamAsync(streamId, "Hello World!"));

        var done = await viewer.WaitForDone(streamId);
        Assert.Equal([(1L, "Hello "), (2L, "World!")], viewer.Tokens(streamId).Select(m => (m.Sequence, m.Token)));
        Assert.True(done.Done);
        Assert.Null(done.Token);
        Assert.Equal(2, done.Sequence);
        Assert.Equal("Hello World!", done.FullResponse);
        Assert.Equal("completed", done.Reason);
        Assert.Equal(threadId, done.ThreadId);
        Assert.Single(viewer.Received, m => m.Done);
    }

    [Fact]
    public async Task A_messagepack_client_gets_the_same_messages()
    {
        var threadId = await gateway.NewThread("alice");
        await using var viewer = await Viewer.Connect(gateway, "alice", b => b.AddMessagePackProtocol());
        await viewer.Join(threadId);

        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "Hallo ");
        await gateway.Producer.StreamTokenAsync(streamId, "Welt 🌍");
        await gateway.Producer.EndStreamAsync(streamId);

        var done = await viewer.WaitForDone(streamId);
        Assert.Equal([(1L, "Hallo "), (2L, "Welt 🌍")], viewer.Tokens(streamId).Select(m => (m.Sequence, m.Token)));
        Assert.Equal(("Hallo Welt 🌍", "completed", threadId), (done.FullResponse, done.Reason, done.ThreadId));
    }

    [Fact]
    public async Task Two_thousand_tokens_reach_three_viewers_complete_and_in_order()
    {
        var threadId = await gateway.NewThread("alice", "bob", "carol");
        var viewers = await Task.WhenAll(new[] { "alice", "bob", "carol" }.Select(u => Viewer.Connect(gateway, u)));
        await Task.WhenAll(viewers.Select(v => v.Join(threadId)));
        var sent = Enumerable.Range(0, 2000).Select(i => i % 50 == 0 ? "🙂 " : $"w{i} ").ToList();

        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await Task.WhenAll(sent.Select(t => gateway.Producer.StreamTokenAsync(streamId, t)));
        await gateway.Producer.EndStreamAsync(streamId, string.Concat(sent));

        foreach (var viewer in viewers)
        {
            var done = await viewer.WaitForDone(streamId);
            var tokens = viewer.Tokens(streamId);
            Assert.Equal(Enumerable.Range(1, 2000).Select(i => (long)i), tokens.Select(m => m.Sequence));
            Assert.Equal(sent, tokens.Select(m => m.Token));
            Assert.Equal(string.Concat(sent), done.FullResponse);
            Assert.Equal(2000, done.Sequence);
            await viewer.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_viewer_that_reconnects_mid_stream_gets_what_it_missed_after_its_last_sequence()
    {
        var threadId = await gateway.NewThread("alice");
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        var sent = Enumerable.Range(1, 300).Select(i => $"t{i} ").ToList();
        await using var first = await Viewer.Connect(gateway, "alice");
        await first.Join(threadId);

        var producing = Task.Run(async () =>
        {
            foreach (var token in sent)
            {
                await gateway.Producer.StreamTokenAsync(streamId, token);
                await Task.Delay(2);
            }

            await gateway.Producer.EndStreamAsync(streamId, string.Concat(sent));
        });

        // Lose the connection part-way, as a dropped network would.
        await Eventually.True(() => Task.FromResult(first.Tokens(streamId).Count >= 50));
        await first.Connection.StopAsync();
        var before = first.Tokens(streamId);

        // Resume as the browser client does: connect, re-join, fetch what is after the last sequence held.
        await using var second = await Viewer.Connect(gateway, "alice");
        var listed = await second.Join(threadId);
        Assert.Contains(listed, s => s.StreamId == streamId);
        var page = await second.GetTokens(streamId, before[^1].Sequence);
        Assert.True(page.Complete);
        await producing;
        await second.WaitForDone(streamId);

        var merged = new SortedDictionary<long, string>();
        foreach (var m in before)
        {
            Assert.True(merged.TryAdd(m.Sequence, m.Token!), $"duplicate {m.Sequence} on the first connection");
        }

        foreach (var (token, i) in page.Tokens.Select((t, i) => (t, i)))
        {
            merged.TryAdd(page.FirstSequence + i, token);
        }

        foreach (var m in second.Tokens(streamId))
        {
            merged.TryAdd(m.Sequence, m.Token!);
        }

        var pushed = second.Tokens(streamId).Select(m => m.Sequence).ToList();
        Assert.Equal(pushed.Distinct().Count(), pushed.Count);
        Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), merged.Keys);
        Assert.Equal(sent, merged.Values);
    }

    [Fact]
    public async Task Join_lists_open_and_recent_streams_with_their_progress()
    {
        var threadId = await gateway.NewThread("alice");
        var done = await gateway.Producer.StartStreamAsync(threadId, "run-a-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(done, "x");
        await gateway.Producer.EndStreamAsync(done);
        var live = await gateway.Producer.StartStreamAsync(threadId, "run-b-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(live, "a");
        await gateway.Producer.StreamTokenAsync(live, "b");
        await using var viewer = await Viewer.Connect(gateway, "alice");

        var streams = await viewer.Join(threadId);

        Assert.Equal([live, done], streams.Select(s => s.StreamId));
        Assert.Equal((2L, false, (string?)null), (streams[0].LastSequence, streams[0].Done, streams[0].Reason));
        Assert.Equal((1L, true, "completed"), (streams[1].LastSequence, streams[1].Done, streams[1].Reason));
    }

    [Fact]
    public async Task Bad_ids_and_unknown_streams_are_typed_hub_errors()
    {
        await using var viewer = await Viewer.Connect(gateway, "alice");

        Assert.StartsWith("invalid_request", Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(() => viewer.Join("bad id"))));
        Assert.StartsWith("stream_not_found", Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(() => viewer.GetTokens("s-none-" + Guid.NewGuid().ToString("N"), 0))));
    }
}
