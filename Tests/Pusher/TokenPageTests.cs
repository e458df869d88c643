using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ReHome.Gateway.Pusher;

namespace ReHome.Tests.Pusher;

/// <summary>The HTTP token page an Echo client catches up with, authorized by its channel signature.</summary>
[Collection(PusherCollection.Name)]
public sealed class TokenPageTests(PusherGatewayFixture gateway)
{
    private readonly HttpClient _http = new() { BaseAddress = gateway.BaseAddress };

    [Fact]
    public async Task A_subscribed_socket_reads_its_threads_streams_and_a_streams_tokens_as_json_or_as_a_form()
    {
        var threadId = await gateway.NewThread("alice");
        var channel = TestSignatures.Channel(threadId);
        var (socket, socketId) = await RawPusherSocket.Open(gateway);
        await using var _ = socket;
        await socket.Send(new { @event = "pusher:subscribe", data = new { channel, auth = TestSignatures.Auth(socketId, channel) } });
        await socket.ReceiveEvent("pusher_internal:subscription_succeeded");
        var streamId = await Stream(threadId, "one ", "two ", "three");

        var streams = await Post("streams", new { socket_id = socketId, channel_name = channel, auth = TestSignatures.Auth(socketId, channel) });
        Assert.Equal(HttpStatusCode.OK, streams.StatusCode);
        Assert.Equal("*", streams.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var listed = await streams.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(streamId, listed.GetProperty("streams")[0].GetProperty("streamId").GetString());

        var page = await Post("tokens", new { socket_id = socketId, channel_name = channel, auth = TestSignatures.Auth(socketId, channel), stream_id = streamId, after = 1 });
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var body = await page.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, body.GetProperty("firstSequence").GetInt64());
        Assert.Equal(["two ", "three"], body.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()));
        Assert.True(body.GetProperty("done").GetBoolean());

        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["socket_id"] = socketId, ["channel_name"] = channel, ["auth"] = TestSignatures.Auth(socketId, channel), ["stream_id"] = streamId, ["after"] = "0",
        });
        var formPage = await _http.PostAsync($"/app/{PusherGatewayFixture.AppKey}/tokens", form);
        Assert.Equal(3, (await formPage.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tokens").GetArrayLength());
    }

    [Fact]
    public async Task A_bad_signature_is_401_and_a_stream_of_another_thread_is_404_as_if_it_did_not_exist()
    {
        var threadId = await gateway.NewThread("alice");
        var otherThread = await gateway.NewThread("bob");
        var channel = TestSignatures.Channel(threadId);
        var socketId = Minted(gateway.Services.GetRequiredService<TimeProvider>());
        var otherStream = await Stream(otherThread, "secret");

        var forged = await Post("streams", new { socket_id = socketId, channel_name = channel, auth = TestSignatures.Auth(socketId, TestSignatures.Channel(otherThread)) });
        var elsewhere = await Post("tokens", new { socket_id = socketId, channel_name = channel, auth = TestSignatures.Auth(socketId, channel), stream_id = otherStream });

        Assert.Equal((HttpStatusCode.Unauthorized, "invalid_signature"), await Problem(forged));
        Assert.Equal((HttpStatusCode.NotFound, "stream_not_found"), await Problem(elsewhere));
    }

    [Fact]
    public async Task A_signature_is_good_only_for_a_socket_id_a_gateway_minted_and_away_from_its_gateway_only_for_a_while()
    {
        var threadId = await gateway.NewThread("alice");
        var channel = TestSignatures.Channel(threadId);
        var streamId = await Stream(threadId, "hello");
        var now = gateway.Services.GetRequiredService<TimeProvider>();
        var invented = "123456.654321";
        var recent = Minted(now);
        var old = Minted(new FakeTimeProvider(now.GetUtcNow() - TimeSpan.FromMinutes(16)));

        object Body(string socketId) => new { socket_id = socketId, channel_name = channel, auth = TestSignatures.Auth(socketId, channel), stream_id = streamId };

        Assert.Equal((HttpStatusCode.Unauthorized, "unknown_socket"), await Problem(await Post("tokens", Body(invented))));
        Assert.Equal((HttpStatusCode.Unauthorized, "socket_expired"), await Problem(await Post("tokens", Body(old))));
        Assert.Equal(HttpStatusCode.OK, (await Post("tokens", Body(recent))).StatusCode);
    }

    /// <summary>A signature names a socket, not a user: one for a socket from before someone lost access must not outlive the change.</summary>
    [Fact]
    public async Task A_signature_for_a_socket_from_before_someone_lost_access_is_refused_after_it()
    {
        var threadId = await gateway.NewThread("alice", "bob");
        var channel = TestSignatures.Channel(threadId);
        var streamId = await Stream(threadId, "hello");
        var time = gateway.Services.GetRequiredService<TimeProvider>();
        // Sockets another gateway opened: one before the change, one after it (a socket id tells its second only).
        var before = Minted(new FakeTimeProvider(time.GetUtcNow() - TimeSpan.FromSeconds(2)));
        object Body(string socketId) => new { socket_id = socketId, channel_name = channel, auth = TestSignatures.Auth(socketId, channel), stream_id = streamId };
        Assert.Equal(HttpStatusCode.OK, (await Post("tokens", Body(before))).StatusCode);

        await gateway.Producer.ConfigureThreadAsync(threadId, new ThreadAccess(null, null, "alice", []));
        var after = Minted(new FakeTimeProvider(time.GetUtcNow() + TimeSpan.FromSeconds(2)));

        Assert.Equal((HttpStatusCode.Unauthorized, "socket_expired"), await Problem(await Post("tokens", Body(before))));
        Assert.Equal((HttpStatusCode.Unauthorized, "socket_expired"), await Problem(await Post("streams", Body(before))));
        Assert.Equal(HttpStatusCode.OK, (await Post("tokens", Body(after))).StatusCode);
    }

    [Theory]
    [InlineData("no-such-key", "{}", HttpStatusCode.NotFound, "app_not_found")]
    [InlineData(PusherGatewayFixture.AppKey, "not json", HttpStatusCode.BadRequest, "invalid_request")]
    [InlineData(PusherGatewayFixture.AppKey, """{"channel_name":"private-agent.thread.t1","auth":"k:s"}""", HttpStatusCode.BadRequest, "invalid_request")]
    [InlineData(PusherGatewayFixture.AppKey, """{"socket_id":"1.2","channel_name":"presence-agent.thread.t1","auth":"k:s"}""", HttpStatusCode.Forbidden, "channel_refused")]
    public async Task Bad_requests_get_typed_problems(string key, string body, HttpStatusCode status, string code)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        var response = await _http.PostAsync($"/app/{key}/streams", content);

        Assert.Equal((status, code), await Problem(response));
    }

    [Theory]
    [InlineData("streams", "text/plain", "socket_id=1.2", HttpStatusCode.UnsupportedMediaType, "unsupported_media_type", "Content-Type")]
    [InlineData("streams", null, "{}", HttpStatusCode.UnsupportedMediaType, "unsupported_media_type", "Content-Type")]
    [InlineData("tokens", "application/json", """{"socket_id":"1.2","channel_name":"private-agent.thread.t1","auth":"k:s","stream_id":"s1","after":9223372036854775807}""", HttpStatusCode.BadRequest, "invalid_request", "after")]
    [InlineData("tokens", "application/json", """{"socket_id":"1.2","channel_name":"private-agent.thread.t1","auth":"k:s","stream_id":"s1","after":9007199254740992}""", HttpStatusCode.BadRequest, "invalid_request", "after")]
    [InlineData("tokens", "application/x-www-form-urlencoded", "socket_id=1.2&channel_name=private-agent.thread.t1&auth=k%3As&stream_id=s1&after=99999999999999999999", HttpStatusCode.BadRequest, "invalid_request", "after")]
    [InlineData("streams", "application/json", """{"socket_id":"1.2","socket_id":"3.4","channel_name":"private-agent.thread.t1","auth":"k:s"}""", HttpStatusCode.BadRequest, "invalid_request", "socket_id")]
    public async Task Bodies_of_other_types_and_out_of_range_numbers_are_typed_problems_never_500(string page, string? type, string body, HttpStatusCode status, string code, string field)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8);
        content.Headers.ContentType = type is null ? null : new System.Net.Http.Headers.MediaTypeHeaderValue(type);
        var response = await _http.PostAsync($"/app/{PusherGatewayFixture.AppKey}/{page}", content);

        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((status, code, field), (response.StatusCode, problem.GetProperty("code").GetString(), problem.GetProperty("field").GetString()));
    }

    [Fact]
    public async Task A_browser_preflight_is_answered_for_json_posts_from_any_origin()
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, $"/app/{PusherGatewayFixture.AppKey}/tokens");
        preflight.Headers.Add("Origin", "http://app.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type");

        var response = await _http.SendAsync(preflight);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", response.Headers.GetValues("Access-Control-Allow-Methods").Single());
    }

    private string Minted(TimeProvider time) =>
        new SocketIds(gateway.Services.GetRequiredService<IOptions<PusherOptions>>(), time).Mint();

    private Task<HttpResponseMessage> Post(string page, object body) =>
        _http.PostAsJsonAsync($"/app/{PusherGatewayFixture.AppKey}/{page}", body);

    private static async Task<(HttpStatusCode, string?)> Problem(HttpResponseMessage response) =>
        (response.StatusCode, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

    private async Task<string> Stream(string threadId, params string[] tokens)
    {
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        foreach (var token in tokens)
        {
            await gateway.Producer.StreamTokenAsync(streamId, token);
        }

        await gateway.Producer.EndStreamAsync(streamId);
        return streamId;
    }
}
