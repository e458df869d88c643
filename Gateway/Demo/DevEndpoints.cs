using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http.HttpResults;
using ReHome.Gateway.Auth;

namespace ReHome.Gateway.Demo;

/// <summary>
/// Development endpoints, mapped only in the embedded mode: a browser token for anyone who asks, and the demo
/// producer. They do not exist when the gateway runs against Redis.
/// </summary>
internal static class DevEndpoints
{
    public sealed record TokenResponse(string AccessToken, string UserId, DateTimeOffset ExpiresAt);

    public sealed record DemoThreadResponse(string ThreadId);

    public sealed record DemoStreamResponse(string ThreadId, string StreamId);

    public static RouteGroupBuilder MapDevEndpoints(this IEndpointRouteBuilder app)
    {
        var dev = app.MapGroup("/dev").WithTags("Development (embedded mode only)");
        dev.MapPost("/token", IssueToken);
        dev.MapPost("/demo/thread", EnsureDemoThread).RequireAuthorization(new Microsoft.AspNetCore.Authorization.AuthorizeAttribute
        {
            AuthenticationSchemes = JwtBearerDefaults.AuthenticationScheme,
        });
        dev.MapPost("/demo/streams", StartDemoStream).RequireAuthorization(new Microsoft.AspNetCore.Authorization.AuthorizeAttribute
        {
            AuthenticationSchemes = JwtBearerDefaults.AuthenticationScheme,
        });
        return dev;
    }

    private static Results<Ok<TokenResponse>, ProblemHttpResult> IssueToken(string? userId, TokenIssuer issuer, TimeProvider time, HttpContext http)
    {
        userId ??= "demo-user";
        if (userId.Length is 0 or > 256 || userId.Any(char.IsControl))
        {
            return Api.Problems.Invalid("userId", "userId must be 1–256 characters with no control characters.", http);
        }

        var lifetime = TimeSpan.FromHours(8);
        return TypedResults.Ok(new TokenResponse(issuer.Issue(userId, lifetime), userId, time.GetUtcNow() + lifetime));
    }

    private static async Task<Ok<DemoThreadResponse>> EnsureDemoThread(HttpContext http, IGrainFactory grains) =>
        TypedResults.Ok(new DemoThreadResponse(await DemoThread(http, grains)));

    private static async Task<Ok<DemoStreamResponse>> StartDemoStream(HttpContext http, IGrainFactory grains, DemoProducer demo)
    {
        var threadId = await DemoThread(http, grains);
        return TypedResults.Ok(new DemoStreamResponse(threadId, await demo.Start(threadId)));
    }

    /// <summary>Each user gets a demo thread of their own, which only they may watch.</summary>
    private static async Task<string> DemoThread(HttpContext http, IGrainFactory grains)
    {
        var userId = http.User.FindFirst("sub")!.Value;
        var threadId = "demo-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(userId)))[..16];
        var thread = grains.GetGrain<IThreadGrain>(threadId);
        if (await thread.GetAccess() is null)
        {
            await thread.Configure(new ThreadAccess(null, null, userId, []));
        }

        return threadId;
    }
}
