using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace ReHome.Tests.Infrastructure;

/// <summary>Checks an HTTP refusal: status, RFC 9457 media type, and the stable <c>code</c> (and <c>field</c>).</summary>
public static class ProblemAssert
{
    public static async Task<JsonElement> Is(HttpResponseMessage response, HttpStatusCode status, string code, string? field = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonSerializer.Deserialize<JsonElement>(body);
        Assert.True(problem.TryGetProperty("status", out var statusInBody), $"No status in {body}");
        Assert.Equal((int)status, statusInBody.GetInt32());
        Assert.True(problem.TryGetProperty("code", out var actual), $"No code in {body}");
        Assert.Equal(code, actual.GetString());
        if (field is not null)
        {
            Assert.Equal(field, problem.GetProperty("field").GetString());
        }

        return problem;
    }
}
