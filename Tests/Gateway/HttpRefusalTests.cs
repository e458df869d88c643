using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

/// <summary>Every HTTP refusal is problem details with a code and, for bad input, the field; nothing answers 500.</summary>
[Collection(GatewayCollection.Name)]
public sealed class HttpRefusalTests(GatewayFixture gateway)
{
    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task A_body_that_is_not_json_is_415_naming_the_content_type(string mediaType)
    {
        using var http = gateway.ServiceClient();
        var streamId = await StartedStream(http);

        var response = await http.PostAsync($"/api/v1/streams/{streamId}/tokens", new StringContent("""{"token":"a"}""", Encoding.UTF8, mediaType));

        await ProblemAssert.Is(response, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type", "Content-Type");
        Assert.Equal(0, await LastSequence(http, streamId));
    }

    /// <summary>
    /// Decoding another charset would replace what it cannot map ("café" declared us-ascii became "caf??", a lone
    /// surrogate in UTF-16 became U+FFFD) and store that; a charset .NET does not support (utf-7) was a 500.
    /// </summary>
    [Theory]
    [InlineData("no-such-charset", "utf-8")]
    [InlineData("us-ascii", "utf-8")]
    [InlineData("\"iso-8859-1\"", "utf-8")]
    [InlineData("utf-16", "utf-16")]
    [InlineData("utf-7", "utf-8")]
    [InlineData("", "utf-8")]
    public async Task A_json_body_declared_in_a_charset_other_than_utf8_is_415_naming_the_content_type_and_nothing_is_stored(string charset, string sentAs)
    {
        using var http = gateway.ServiceClient();
        var streamId = await StartedStream(http);
        var body = new ByteArrayContent(Encoding.GetEncoding(sentAs).GetBytes("""{"token":"café"}"""));
        body.Headers.TryAddWithoutValidation("Content-Type", $"application/json; charset={charset}");

        var response = await http.PostAsync($"/api/v1/streams/{streamId}/tokens", body);

        var problem = await ProblemAssert.Is(response, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type", "Content-Type");
        Assert.Contains("UTF-8", problem.GetProperty("detail").GetString());
        Assert.Equal(0, await LastSequence(http, streamId));
    }

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json; charset=\"UTF-8\"")]
    [InlineData("application/json; charset=utf8")]
    [InlineData("application/json")]
    public async Task A_json_body_in_utf8_is_stored_as_sent_whether_or_not_it_says_so(string contentType)
    {
        using var http = gateway.ServiceClient();
        var streamId = await StartedStream(http);
        var body = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"token":"café 🙂"}"""));
        body.Headers.TryAddWithoutValidation("Content-Type", contentType);

        var response = await http.PostAsync($"/api/v1/streams/{streamId}/tokens", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await http.GetFromJsonAsync<JsonElement>($"/api/v1/streams/{streamId}/tokens?after=0");
        Assert.Equal("café 🙂", page.GetProperty("tokens")[0].GetString());
    }

    [Theory]
    [InlineData("""{"token":"a","token":"b"}""", "token")]
    [InlineData("""{"token":"a","sequence":1,"sequence":2}""", "sequence")]
    [InlineData("""{"token":"a","sequence":"1"}""", "sequence")]
    [InlineData("""{"tokens":["a"],"sequence":1.0e0}""", "sequence")]
    [InlineData("""{"token":"a","sequence":9007199254740992}""", "sequence")]
    [InlineData("""{"token":"a","sequence":9223372036854775808}""", "sequence")]
    [InlineData("""{"tokens":["a", 5]}""", "tokens[1]")]
    [InlineData("""{"tokens":["a"],"firstSequence":1}""", "firstSequence")]
    [InlineData("{\"token\":\"a\"", "body")]
    [InlineData("", "body")]
    public async Task Ambiguous_or_mistyped_bodies_are_refused_naming_the_field_never_guessed(string body, string field)
    {
        using var http = gateway.ServiceClient();
        var streamId = await StartedStream(http);

        var response = await http.PostAsync($"/api/v1/streams/{streamId}/tokens", new StringContent(body, Encoding.UTF8, "application/json"));

        await ProblemAssert.Is(response, HttpStatusCode.BadRequest, "invalid_request", field);
        Assert.Equal(0, await LastSequence(http, streamId));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("9223372036854775807")]
    [InlineData("9223372036854775808")]
    [InlineData("9007199254740992")]
    public async Task A_bad_after_in_the_query_is_400_naming_after(string after)
    {
        using var http = gateway.ServiceClient();
        var streamId = await StartedStream(http);
        await http.PostAsJsonAsync($"/api/v1/streams/{streamId}/tokens", new { token = "secret" });

        var response = await http.GetAsync($"/api/v1/streams/{streamId}/tokens?after={after}");

        await ProblemAssert.Is(response, HttpStatusCode.BadRequest, "invalid_request", "after");
    }

    [Fact]
    public async Task A_lastSequence_out_of_range_is_400_naming_it()
    {
        using var http = gateway.ServiceClient();
        var streamId = await StartedStream(http);

        var response = await http.PostAsJsonAsync($"/api/v1/streams/{streamId}/end", new { lastSequence = long.MaxValue });

        await ProblemAssert.Is(response, HttpStatusCode.BadRequest, "invalid_request", "lastSequence");
    }

    [Fact]
    public async Task A_streams_reason_is_a_string_wherever_it_appears()
    {
        using var http = gateway.ServiceClient();
        var threadId = await gateway.NewThread("alice");
        var runId = "run-" + Guid.NewGuid().ToString("N");
        var started = await http.PostAsJsonAsync("/api/v1/streams", new { threadId, runId });
        var streamId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("streamId").GetString()!;
        await http.PostAsJsonAsync($"/api/v1/streams/{streamId}/cancel", new { reason = "user pressed stop" });

        var info = await http.GetFromJsonAsync<JsonElement>($"/api/v1/streams/{streamId}");
        var again = await (await http.PostAsJsonAsync("/api/v1/streams", new { threadId, runId, streamId })).Content.ReadFromJsonAsync<JsonElement>();
        var listed = await http.GetFromJsonAsync<JsonElement>($"/api/v1/threads/{threadId}/streams");
        var page = await http.GetFromJsonAsync<JsonElement>($"/api/v1/streams/{streamId}/tokens");

        Assert.Equal("cancelled", info.GetProperty("reason").GetString());
        Assert.Equal("cancelled", again.GetProperty("reason").GetString());
        Assert.Equal("cancelled", listed[0].GetProperty("reason").GetString());
        Assert.Equal("cancelled", page.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task The_frameworks_own_refusals_carry_codes_too()
    {
        using var service = gateway.ServiceClient();
        using var anonymous = new HttpClient { BaseAddress = gateway.BaseAddress };
        using var browser = new HttpClient { BaseAddress = gateway.BaseAddress };
        browser.DefaultRequestHeaders.Authorization = new("Bearer", gateway.TokenFor("alice"));

        await ProblemAssert.Is(await anonymous.GetAsync("/api/v1/threads/t-1/streams"), HttpStatusCode.Unauthorized, "unauthorized");
        await ProblemAssert.Is(await browser.GetAsync("/api/v1/threads/t-1/streams"), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAssert.Is(await service.GetAsync("/api/v1/nothing-here"), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.Is(await service.DeleteAsync("/api/v1/threads/t-1/streams"), HttpStatusCode.MethodNotAllowed, "method_not_allowed");
        await ProblemAssert.Is(await anonymous.PostAsync(HubContract.Path + "/negotiate?negotiateVersion=1", null), HttpStatusCode.Unauthorized, "unauthorized");
    }

    public static TheoryData<string, string?> SubjectlessTokens => new()
    {
        { "no sub", GatewayFixture.SignedToken(null, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(5)) },
        { "empty sub", GatewayFixture.SignedToken("", DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(5)) },
        { "a sub with a control character", GatewayFixture.SignedToken("ali\nce", DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(5)) },
        { "a sub too long", GatewayFixture.SignedToken(new string('a', 257), DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(5)) },
        { "not a token", "not-a-jwt" },
    };

    [Theory]
    [MemberData(nameof(SubjectlessTokens))]
    public async Task Dev_routes_refuse_a_token_that_names_no_user_with_401_not_500(string why, string? token)
    {
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);

        foreach (var route in new[] { "/dev/demo/thread", "/dev/demo/streams", HubContract.Path + "/negotiate?negotiateVersion=1" })
        {
            var response = await http.PostAsync(route, null);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{why} on {route}: {(int)response.StatusCode}");
            await ProblemAssert.Is(response, HttpStatusCode.Unauthorized, "unauthorized");
        }
    }

    [Theory]
    [InlineData("evil.example", HttpStatusCode.BadRequest)]
    [InlineData("rebound.attacker.test:8080", HttpStatusCode.BadRequest)]
    [InlineData("localhost", HttpStatusCode.OK)]
    [InlineData("127.0.0.1", HttpStatusCode.OK)]
    [InlineData("[::1]", HttpStatusCode.OK)]
    public async Task The_dev_token_endpoint_answers_only_requests_that_name_a_loopback_host(string host, HttpStatusCode expected)
    {
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        var request = new HttpRequestMessage(HttpMethod.Post, "/dev/token?userId=alice") { Headers = { Host = host } };

        var response = await http.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.OK)
        {
            Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("accessToken", out _));
        }
    }

    private async Task<string> StartedStream(HttpClient http)
    {
        var threadId = await gateway.NewThread("alice");
        var response = await http.PostAsJsonAsync("/api/v1/streams", new { threadId, runId = "run-" + Guid.NewGuid().ToString("N") });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("streamId").GetString()!;
    }

    private static async Task<long> LastSequence(HttpClient http, string streamId) =>
        (await http.GetFromJsonAsync<JsonElement>($"/api/v1/streams/{streamId}")).GetProperty("lastSequence").GetInt64();
}
