using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using ReHome.Gateway.Auth;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

[Collection(GatewayCollection.Name)]
public sealed class ProducerApiTests(GatewayFixture gateway)
{
    [Fact]
    public async Task A_backend_streams_through_http_from_thread_to_end()
    {
        using var http = gateway.ServiceClient();
        var threadId = "t-" + Guid.NewGuid().ToString("N");
        await using var viewer = await Viewer.Connect(gateway, "alice");

        Assert.Equal(HttpStatusCode.NoContent, (await http.PutAsJsonAsync($"/api/v1/threads/{threadId}",
            new { workspaceId = "ws", projectId = "p", ownerUserId = "alice", memberUserIds = Array.Empty<string>() })).StatusCode);
        await viewer.Join(threadId);
        var started = await http.PostAsJsonAsync("/api/v1/streams", new { threadId, runId = "run-1-" + threadId });
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var streamId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("streamId").GetString()!;

        var one = await Json(await http.PostAsJsonAsync($"/api/v1/streams/{streamId}/tokens", new { token = "Hello " }));
        var batch = await Json(await http.PostAsJsonAsync($"/api/v1/streams/{streamId}/tokens", new { tokens = new[] { "Wor", "ld", "!" }, sequence = 2 }));
        var resent = await Json(await http.PostAsJsonAsync($"/api/v1/streams/{streamId}/tokens", new { tokens = new[] { "Wor", "ld", "!" }, sequence = 2 }));
        var ended = await Json(await http.PostAsJsonAsync($"/api/v1/streams/{streamId}/end", new { fullResponse = "Hello World!", lastSequence = 4 }));
        var again = await Json(await http.PostAsJsonAsync($"/api/v1/streams/{streamId}/end", new { fullResponse = "other" }));

        Assert.Equal((1, 1), (one.GetProperty("firstSequence").GetInt64(), one.GetProperty("lastSequence").GetInt64()));
        Assert.Equal((2, 4), (batch.GetProperty("firstSequence").GetInt64(), batch.GetProperty("lastSequence").GetInt64()));
        Assert.Equal((2, 4), (resent.GetProperty("firstSequence").GetInt64(), resent.GetProperty("lastSequence").GetInt64()));
        Assert.True(ended.GetProperty("ended").GetBoolean());
        Assert.False(again.GetProperty("ended").GetBoolean());

        var done = await viewer.WaitForDone(streamId);
        Assert.Equal("Hello World!", done.FullResponse);
        Assert.Equal(["Hello ", "Wor", "ld", "!"], viewer.Tokens(streamId).Select(m => m.Token));
        var page = await Json(await http.GetAsync($"/api/v1/streams/{streamId}/tokens?after=1"));
        Assert.Equal(["Wor", "ld", "!"], page.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task Without_a_service_key_the_api_is_401_and_with_a_browser_token_403()
    {
        using var anonymous = new HttpClient { BaseAddress = gateway.BaseAddress };
        using var wrongKey = new HttpClient { BaseAddress = gateway.BaseAddress };
        wrongKey.DefaultRequestHeaders.Add("X-Service-Key", "wrong");
        using var browser = new HttpClient { BaseAddress = gateway.BaseAddress };
        browser.DefaultRequestHeaders.Authorization = new("Bearer", gateway.TokenFor("alice"));

        var none = await anonymous.PostAsJsonAsync("/api/v1/streams", new { threadId = "t", runId = "r" });
        var wrong = await wrongKey.PostAsJsonAsync("/api/v1/streams", new { threadId = "t", runId = "r" });
        var user = await browser.PostAsJsonAsync("/api/v1/streams", new { threadId = "t", runId = "r" });

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, user.StatusCode);
        Assert.Equal("application/problem+json", user.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_browser_token_that_claims_to_be_a_service_is_still_403()
    {
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", "mallory"), new Claim(AuthSetup.ServiceClaim, "true")]),
            Issuer = "rehome",
            Audience = "rehome-gateway",
            Expires = DateTime.UtcNow.AddMinutes(5),
            SigningCredentials = new SigningCredentials(
                new SymmetricSecurityKey(Encoding.UTF8.GetBytes(GatewayFixture.SigningKey)), SecurityAlgorithms.HmacSha256),
        });
        http.DefaultRequestHeaders.Authorization = new("Bearer", forged);

        var response = await http.PostAsJsonAsync("/api/v1/streams", new { threadId = "t", runId = "r" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Theory]
    [InlineData("""{"token":null}""", "token")]
    [InlineData("""{}""", "token")]
    [InlineData("""{"token":"a","tokens":["b"]}""", "token")]
    [InlineData("""{"tokens":["ok",null]}""", "tokens[1]")]
    [InlineData("""{"tokens":[]}""", "tokens")]
    [InlineData("""{"tokens":[],"sequence":1}""", "tokens")]
    [InlineData("""{"token":"ab\ud800"}""", "token")]
    [InlineData("""{"token":"a","sequence":0}""", "sequence")]
    public async Task Bad_tokens_are_400_naming_the_field_and_store_nothing(string body, string field)
    {
        using var http = gateway.ServiceClient();
        var streamId = await StartedStream(http);

        var response = await http.PostAsync($"/api/v1/streams/{streamId}/tokens", new StringContent(body, Encoding.UTF8, "application/json"));

        await AssertProblem(response, HttpStatusCode.BadRequest, "invalid_request", field);
        Assert.Equal(0, (await Json(await http.GetAsync($"/api/v1/streams/{streamId}"))).GetProperty("lastSequence").GetInt64());
    }

    [Fact]
    public async Task A_token_over_the_limit_is_400_not_truncated()
    {
        using var http = gateway.ServiceClient();
        var streamId = await StartedStream(http);

        var response = await http.PostAsJsonAsync($"/api/v1/streams/{streamId}/tokens", new { token = new string('x', 1001) });

        await AssertProblem(response, HttpStatusCode.BadRequest, "invalid_request", "token");
        Assert.Equal(0, (await Json(await http.GetAsync($"/api/v1/streams/{streamId}"))).GetProperty("lastSequence").GetInt64());
    }

    [Fact]
    public async Task A_malformed_stream_id_is_400()
    {
        using var http = gateway.ServiceClient();
        var threadId = await gateway.NewThread("alice");

        var response = await http.PostAsJsonAsync("/api/v1/streams", new { threadId, runId = "r-1", streamId = "no/slashes" });

        await AssertProblem(response, HttpStatusCode.BadRequest, "invalid_request", "streamId");
    }

    [Fact]
    public async Task Unknown_streams_and_threads_are_404()
    {
        using var http = gateway.ServiceClient();

        var append = await http.PostAsJsonAsync($"/api/v1/streams/s-none-{Guid.NewGuid():N}/tokens", new { token = "x" });
        var start = await http.PostAsJsonAsync("/api/v1/streams", new { threadId = $"t-none-{Guid.NewGuid():N}", runId = "r-1" });
        var streams = await http.GetAsync($"/api/v1/threads/t-none-{Guid.NewGuid():N}/streams");

        await AssertProblem(append, HttpStatusCode.NotFound, "stream_not_found");
        await AssertProblem(start, HttpStatusCode.NotFound, "thread_not_found");
        await AssertProblem(streams, HttpStatusCode.NotFound, "thread_not_found");
    }

    [Fact]
    public async Task Ended_cancelled_and_contradicted_streams_are_409()
    {
        using var http = gateway.ServiceClient();
        var ended = await StartedStream(http);
        var cancelled = await StartedStream(http);
        var conflicted = await StartedStream(http);
        await http.PostAsJsonAsync($"/api/v1/streams/{ended}/end", new { fullResponse = "" });
        var cancel = await Json(await http.PostAsJsonAsync($"/api/v1/streams/{cancelled}/cancel", new { reason = "moderation" }));
        await http.PostAsJsonAsync($"/api/v1/streams/{conflicted}/tokens", new { token = "a", sequence = 1 });

        Assert.True(cancel.GetProperty("cancelled").GetBoolean());
        await AssertProblem(await http.PostAsJsonAsync($"/api/v1/streams/{ended}/tokens", new { token = "x" }), HttpStatusCode.Conflict, "stream_ended");
        await AssertProblem(await http.PostAsJsonAsync($"/api/v1/streams/{cancelled}/tokens", new { token = "x" }), HttpStatusCode.Conflict, "stream_cancelled");
        await AssertProblem(await http.PostAsJsonAsync($"/api/v1/streams/{conflicted}/tokens", new { token = "b", sequence = 1 }), HttpStatusCode.Conflict, "stream_conflict");
        var gap = await http.PostAsJsonAsync($"/api/v1/streams/{conflicted}/tokens", new { token = "c", sequence = 5 });
        await AssertProblem(gap, HttpStatusCode.Conflict, "sequence_gap");
        Assert.Equal(1, (await Json(await http.GetAsync($"/api/v1/streams/{conflicted}"))).GetProperty("lastSequence").GetInt64());
    }

    [Fact]
    public async Task Rate_limited_appends_are_429_with_retry_after_and_store_nothing()
    {
        using var http = gateway.ServiceClient();
        var streamId = await StartedStream(http);
        var thousand = Enumerable.Repeat("x", 1000).ToArray();

        HttpResponseMessage? limited = null;
        for (var i = 0; i < 10 && limited is null; i++)
        {
            var response = await http.PostAsJsonAsync($"/api/v1/streams/{streamId}/tokens", new { tokens = thousand });
            limited = response.StatusCode == HttpStatusCode.TooManyRequests ? response : null;
        }

        Assert.NotNull(limited);
        await AssertProblem(limited, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(0, (await Json(await http.GetAsync($"/api/v1/streams/{streamId}"))).GetProperty("lastSequence").GetInt64() % 1000);
    }

    private async Task<string> StartedStream(HttpClient http)
    {
        var threadId = await gateway.NewThread("alice");
        var response = await http.PostAsJsonAsync("/api/v1/streams", new { threadId, runId = "r-" + Guid.NewGuid().ToString("N") });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("streamId").GetString()!;
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string code, string? field = null)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Equal(code, problem.GetProperty("code").GetString());
        if (field is not null)
        {
            Assert.Equal(field, problem.GetProperty("field").GetString());
        }
    }
}
