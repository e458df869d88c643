using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using ReHome.Gateway.Auth;

namespace ReHome.Gateway.Demo;

/// <summary>
/// Development endpoints: a browser token for anyone who asks, and the demo producer. They exist only in the
/// embedded mode and only while the gateway listens on loopback alone, so neither a gateway running against Redis
/// nor an embedded one reachable from the network (a container, <c>Urls=http://+:8080</c>) hands out tokens.
/// Requests must then also name a loopback host (<c>AllowedHosts</c>), so a page on another site cannot reach them
/// by pointing its own DNS name at 127.0.0.1 (DNS rebinding).
/// </summary>
internal static class DevEndpoints
{
    /// <summary>The host names a request may carry while the dev endpoints exist.</summary>
    public const string LoopbackHosts = "localhost;127.0.0.1;[::1]";

    public static bool Allowed(IConfiguration configuration) =>
        ClusterHosting.IsEmbedded(configuration)
        && ListensOnLoopbackOnly(configuration)
        && NamesLoopbackOnly(configuration["AllowedHosts"]);

    /// <summary>
    /// True when every address Kestrel would bind is on loopback: the <c>Kestrel:Endpoints</c> section's URLs when it
    /// has any, which override the rest; otherwise <c>Urls</c>, or the <c>HTTP_PORTS</c> and <c>HTTPS_PORTS</c> the
    /// .NET container images set, which bind every interface; and the metrics listener.
    /// </summary>
    public static bool ListensOnLoopbackOnly(IConfiguration configuration)
    {
        var endpoints = configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(endpoint => endpoint["Url"]).ToList();
        var main = endpoints.Count > 0
            ? endpoints.All(url => !string.IsNullOrWhiteSpace(url) && ListensOnLoopbackOnly(url))
            : !string.IsNullOrWhiteSpace(configuration["Urls"])
                ? ListensOnLoopbackOnly(configuration["Urls"])
                : string.IsNullOrWhiteSpace(configuration["HTTP_PORTS"]) && string.IsNullOrWhiteSpace(configuration["HTTPS_PORTS"]);
        return main && ListensOnLoopbackOnly(configuration[$"{ReHome.Silo.MetricsOptions.Section}:Url"]);
    }

    /// <summary>
    /// Where the dev endpoints would exist, limits the accepted Host headers to loopback names unless
    /// <c>AllowedHosts</c> is set to something narrower already.
    /// </summary>
    public static void RestrictHosts(IConfiguration configuration)
    {
        if (configuration["AllowedHosts"] is null or "*" && ClusterHosting.IsEmbedded(configuration) && ListensOnLoopbackOnly(configuration))
        {
            configuration["AllowedHosts"] = LoopbackHosts;
        }
    }

    /// <summary>True when every <c>AllowedHosts</c> entry is a loopback name (unset or <c>*</c> is not).</summary>
    public static bool NamesLoopbackOnly(string? allowedHosts) =>
        allowedHosts is not null && allowedHosts.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .All(host => LoopbackHosts.Split(';').Contains(host, StringComparer.OrdinalIgnoreCase));

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
        // Whatever the settings say about the listener, a caller from another machine finds nothing here.
        dev.AddEndpointFilter(ReHome.Silo.LoopbackCallers.Only);
        dev.MapPost("/token", IssueToken);
        var signedIn = new Microsoft.AspNetCore.Authorization.AuthorizeAttribute { AuthenticationSchemes = BrowserTokens.Scheme };
        dev.AddEndpointFilter<Api.ReHomeProblemFilter>();
        dev.MapPost("/demo/thread", EnsureDemoThread).RequireAuthorization(signedIn);
        dev.MapPost("/demo/streams", StartDemoStream).RequireAuthorization(signedIn);
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
        // The token's subject is checked at sign-in (BrowserTokens); a principal without one never gets here.
        var userId = http.User.FindFirst(BrowserTokens.SubjectClaim)?.Value
            ?? throw new InvalidRequestException("sub", "The token names no user.");
        var threadId = "demo-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(userId)))[..16];
        var thread = grains.GetGrain<IThreadGrain>(threadId);
        if (await thread.GetAccess() is null)
        {
            await thread.Configure(new ThreadAccess(null, null, userId, []));
        }

        return threadId;
    }
}
