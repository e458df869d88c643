using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http.HttpResults;
using ReHome.Gateway.Auth;

namespace ReHome.Gateway.Demo;

/// <summary>
/// Development endpoints: a browser token for anyone who asks, and the demo producer. They exist only in the
/// embedded mode and only while the gateway listens on loopback alone, so neither a gateway running against Redis
/// nor an embedded one reachable from the network (a container, <c>Urls=http://+:8080</c>) hands out tokens.
/// </summary>
internal static class DevEndpoints
{
    public static bool Allowed(IConfiguration configuration) =>
        ClusterHosting.IsEmbedded(configuration) && ListensOnLoopbackOnly(configuration["Urls"]);

    /// <summary>True when every URL binds a loopback host; Kestrel's default (unset) is localhost.</summary>
    public static bool ListensOnLoopbackOnly(string? urls) =>
        string.IsNullOrWhiteSpace(urls) || urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).All(url =>
            Uri.TryCreate(url.Replace("://+", "://wildcard").Replace("://*", "://wildcard"), UriKind.Absolute, out var uri)
            && (uri.IsLoopback || uri.Host == "localhost"));

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
