using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

/// <summary>A gateway whose ended streams lose their text after one second, and keep the default tombstone retention.</summary>
public sealed class ShortRetentionGatewayFixture : GatewayFixture
{
    protected override Dictionary<string, string?> Settings => new()
    {
        ["Streams:DoneRetention"] = "00:00:01",
    };
}

[CollectionDefinition(Name)]
public sealed class ShortRetentionGatewayCollection : ICollectionFixture<ShortRetentionGatewayFixture>
{
    public const string Name = "gateway with a short done retention";
}

[Collection(ShortRetentionGatewayCollection.Name)]
public sealed class StreamIdReuseTests(ShortRetentionGatewayFixture gateway)
{
    [Fact]
    public async Task A_late_repeat_of_a_start_after_the_text_expired_answers_the_ended_stream_and_its_viewer_sees_nothing_new()
    {
        using var http = gateway.ServiceClient();
        var threadId = await gateway.NewThread("alice");
        await using var viewer = await Viewer.Connect(gateway, "alice");
        await viewer.Join(threadId);
        var runId = "r-" + Guid.NewGuid().ToString("N");
        var streamId = "s-" + Guid.NewGuid().ToString("N");

        var start = new { threadId, runId, streamId };
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/v1/streams", start)).StatusCode);
        (await http.PostAsJsonAsync($"/api/v1/streams/{streamId}/tokens", new { tokens = new[] { "a", "b", "c" } })).EnsureSuccessStatusCode();
        (await http.PostAsJsonAsync($"/api/v1/streams/{streamId}/end", new { fullResponse = "abc" })).EnsureSuccessStatusCode();
        await viewer.WaitForDone(streamId);
        // Retention over: the thread no longer lists the stream, and its text is gone.
        await Eventually.True(async () => !(await Json(await http.GetAsync($"/api/v1/threads/{threadId}/streams"))).EnumerateArray()
            .Any(s => s.GetProperty("streamId").GetString() == streamId), because: "the done retention clears the stream");

        // The producer's late retry of its start, then of a token.
        var again = await http.PostAsJsonAsync("/api/v1/streams", start);
        var info = await Json(again);
        var unnumbered = await http.PostAsJsonAsync($"/api/v1/streams/{streamId}/tokens", new { token = "late" });
        var numbered = await http.PostAsJsonAsync($"/api/v1/streams/{streamId}/tokens", new { token = "late", sequence = 1 });

        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.True(info.GetProperty("done").GetBoolean());
        Assert.Equal(3, info.GetProperty("lastSequence").GetInt64());
        foreach (var refused in new[] { unnumbered, numbered })
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Equal("stream_ended", (await Json(refused)).GetProperty("code").GetString());
        }

        // Another stream on the same thread reaches the viewer after anything the reused id could have published.
        var marker = await gateway.Producer.StartStreamAsync(threadId, "r-marker-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(marker, "marker");
        await Eventually.True(() => Task.FromResult(viewer.Tokens(marker).Count == 1), because: "the marker reaches the viewer");
        Assert.Equal([(1L, "a"), (2L, "b"), (3L, "c")], viewer.Tokens(streamId).Select(m => (m.Sequence, m.Token!)));
        Assert.Single(viewer.Received, m => m.StreamId == streamId && m.Done);

        // Asked where the stream stands, the viewer hears: ended at 3, nothing after 3, and the text is no longer kept.
        var after3 = await viewer.GetTokens(streamId, 3);
        var all = await viewer.GetTokens(streamId, 0);
        Assert.Equal((true, true, 3L, 0), (after3.Done, after3.Complete, after3.LastSequence, after3.Tokens.Length));
        Assert.Equal((true, false, 3L, (string?)null, "completed"), (all.Done, all.Complete, all.LastSequence, all.FullResponse, all.Reason));
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();
}
