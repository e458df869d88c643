using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ReHome.Gateway.Auth;

/// <summary>
/// How browser tokens are validated. <see cref="Scheme"/> (<c>Bearer</c>) looks at a token's unverified issuer and
/// hands it to one of two JWT bearer schemes that each trust one kind of key only: <see cref="SharedKeyScheme"/>
/// (HS256 with <c>Auth:SigningKey</c>, issuer <c>Auth:Issuer</c>) or <see cref="AuthorityScheme"/> (the keys and
/// issuer of the OpenID Connect metadata at <c>Auth:Authority</c>). A token therefore never mixes one issuer's name
/// with the other's key.
/// </summary>
internal static class BrowserTokens
{
    public const string Scheme = JwtBearerDefaults.AuthenticationScheme;
    public const string SharedKeyScheme = "Bearer.SharedKey";
    public const string AuthorityScheme = "Bearer.Authority";

    /// <summary>The claim that names the user; required, non-empty, at most this long, with no control characters.</summary>
    public const string SubjectClaim = "sub";
    public const int MaxSubjectLength = 256;

    private static readonly string[] AsymmetricAlgorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    /// <summary>
    /// How far the issuer's clock may run ahead of ours for <c>nbf</c>. <c>exp</c> gets no such grace: a token is
    /// refused from its <c>exp</c> on, and an open connection is closed then, so access ends when the token says.
    /// </summary>
    private static readonly TimeSpan NotBeforeSkew = TimeSpan.FromSeconds(30);

    public static AuthenticationBuilder AddBrowserTokens(this AuthenticationBuilder authentication)
    {
        authentication
            .AddPolicyScheme(Scheme, "Browser token", o => o.ForwardDefaultSelector = SelectScheme)
            .AddJwtBearer(SharedKeyScheme, _ => { })
            .AddJwtBearer(AuthorityScheme, _ => { });
        authentication.Services.AddOptions<JwtBearerOptions>(SharedKeyScheme)
            .Configure<IOptions<AuthOptions>, TimeProvider>((jwt, auth, time) => ConfigureSharedKey(jwt, auth.Value, time));
        authentication.Services.AddOptions<JwtBearerOptions>(AuthorityScheme)
            .Configure<IOptions<AuthOptions>, TimeProvider>((jwt, auth, time) => ConfigureAuthority(jwt, auth.Value, time));
        return authentication;
    }

    /// <summary>True when <paramref name="authority"/> may be used as configured (see <see cref="AuthOptions.Authority"/>).</summary>
    public static bool IsAcceptableAuthority(string authority, bool allowHttp) =>
        Uri.TryCreate(authority, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && (allowHttp || IsLoopback(uri))));

    /// <summary>
    /// The token of a request: the <c>Authorization: Bearer</c> header, or, on the hub's WebSocket and
    /// Server-Sent-Events requests only, the <c>access_token</c> query parameter. Browsers cannot set headers on a
    /// WebSocket or an EventSource, so SignalR sends the token in the query string there; no other URL may carry one.
    /// </summary>
    public static string? ReadToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }

        return IsStreamingHubRequest(request) && request.Query["access_token"] is { Count: > 0 } token ? token.ToString() : null;
    }

    private static bool IsStreamingHubRequest(HttpRequest request) =>
        request.Path.StartsWithSegments(HubContract.Path)
        // Judged from the request itself: the WebSocket middleware that sets IsWebSocketRequest runs later, inside
        // the hub's endpoint. HTTP/2 WebSockets arrive as CONNECT.
        && (request.Headers.Upgrade.Any(upgrade => string.Equals(upgrade, "websocket", StringComparison.OrdinalIgnoreCase))
            || HttpMethods.IsConnect(request.Method)
            || request.Headers.Accept.Any(accept => accept?.Contains("text/event-stream") == true));

    private static string SelectScheme(HttpContext context)
    {
        var auth = context.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value;
        if (auth.Authority is null || ReadToken(context.Request) is not { } token)
        {
            return SharedKeyScheme;
        }

        // Only the routing is decided here, from the unverified issuer; the chosen scheme verifies everything.
        return UnverifiedIssuer(token) is { } issuer && issuer != auth.Issuer ? AuthorityScheme : SharedKeyScheme;
    }

    /// <summary>The token's issuer, or null when it is not a JWT; the shared key's scheme then refuses it (401).</summary>
    private static string? UnverifiedIssuer(string token)
    {
        var handler = new JsonWebTokenHandler();
        try
        {
            // CanReadToken checks only the shape (segments, characters); a header or payload that does not decode
            // throws here (ArgumentException, IDX14102), and this runs on every request.
            return handler.CanReadToken(token) ? handler.ReadJsonWebToken(token).Issuer : null;
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenMalformedException)
        {
            return null;
        }
    }

    private static void ConfigureSharedKey(JwtBearerOptions jwt, AuthOptions auth, TimeProvider time)
    {
        jwt.TokenValidationParameters = Validation(auth, [SecurityAlgorithms.HmacSha256], time);
        jwt.TokenValidationParameters.ValidIssuer = auth.Issuer;
        jwt.TokenValidationParameters.IssuerSigningKey = auth.SigningKey is null ? null : AuthSetup.SecurityKey(auth);
        jwt.MapInboundClaims = false; // "sub" stays "sub" rather than a long SOAP claim name
        jwt.Events = Events();
    }

    private static void ConfigureAuthority(JwtBearerOptions jwt, AuthOptions auth, TimeProvider time)
    {
        if (auth.Authority is null)
        {
            return; // never selected
        }

        // JwtBearer fetches {Authority}/.well-known/openid-configuration and its JWKS, refreshes them periodically
        // and when a token names an unknown key id (a key rollover), and validates the issuer against the metadata.
        // Plain http got past start-up validation only for a loopback issuer or with Auth:AllowHttpAuthority.
        jwt.Authority = auth.Authority;
        jwt.RequireHttpsMetadata = new Uri(auth.Authority).Scheme == Uri.UriSchemeHttps;
        jwt.TokenValidationParameters = Validation(auth, AsymmetricAlgorithms, time);
        jwt.MapInboundClaims = false;
        jwt.Events = Events();
    }

    private static TokenValidationParameters Validation(AuthOptions auth, string[] algorithms, TimeProvider time) => new()
    {
        ValidAudience = auth.Audience,
        ValidAlgorithms = algorithms,
        ValidateIssuer = true,
        ValidateAudience = true,
        ValidateLifetime = true,
        ValidateIssuerSigningKey = true,
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        NameClaimType = SubjectClaim,
        LifetimeValidator = (notBefore, expires, _, _) =>
        {
            var now = time.GetUtcNow().UtcDateTime;
            return expires is { } exp && now < exp && (notBefore is not { } nbf || nbf <= now + NotBeforeSkew);
        },
    };

    private static JwtBearerEvents Events() => new()
    {
        OnMessageReceived = context =>
        {
            // The header is JwtBearer's own default; only the hub's streaming requests may use the query string.
            if (IsStreamingHubRequest(context.Request) && context.Request.Query["access_token"] is { Count: > 0 } token)
            {
                context.Token = token;
            }

            return Task.CompletedTask;
        },
        OnTokenValidated = context =>
        {
            // Every connection, quota and access check is per user: a token that names nobody is not a user's token.
            var subject = context.Principal?.FindFirst(SubjectClaim)?.Value;
            if (string.IsNullOrEmpty(subject) || subject.Length > MaxSubjectLength || subject.Any(char.IsControl))
            {
                context.Fail($"The token's '{SubjectClaim}' claim must be 1–{MaxSubjectLength} characters with no control characters.");
            }

            return Task.CompletedTask;
        },
    };

    private static bool IsLoopback(Uri uri) => uri.IsLoopback || uri.Host == "localhost";
}
