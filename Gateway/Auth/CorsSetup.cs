using Microsoft.Extensions.Options;

namespace ReHome.Gateway.Auth;

/// <summary>
/// Cross-origin use of the hub and the browser client by the pages of <c>Gateway:AllowedOrigins</c>. The SignalR
/// browser client sends credentials with its negotiate request, so the answer must name the origin and allow
/// credentials; that is safe only for an explicit list, never <c>*</c>. The producer API and the dev endpoints are
/// not for browsers and get no CORS answers; the Pusher token page (<c>/app/…</c>) answers its own, for any origin.
/// </summary>
internal static class CorsSetup
{
    private const string Policy = "browser-origins";

    public static WebApplicationBuilder AddReHomeCors(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<GatewayOptions>()
            .Validate(o => o.AllowedOrigins.All(IsOrigin),
                "Every Gateway:AllowedOrigins entry must be an origin such as https://app.example.com (scheme, host, optional port; no path, no '*').");
        builder.Services.AddCors();
        builder.Services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>()
            .Configure<IOptions<GatewayOptions>>((cors, gateway) => cors.AddPolicy(Policy, policy => policy
                .WithOrigins([.. gateway.Value.AllowedOrigins.Select(o => o.TrimEnd('/'))])
                .AllowCredentials()
                .WithMethods(HttpMethods.Get, HttpMethods.Post)
                // What the SignalR clients send: the token, the JSON body of negotiate, and their own headers.
                .WithHeaders("Authorization", "Content-Type", "X-Requested-With", "X-SignalR-User-Agent")
                .SetPreflightMaxAge(TimeSpan.FromMinutes(10))));
        return builder;
    }

    /// <summary>Answers preflights and adds the CORS headers for the hub and static files; before authentication, which a preflight never passes.</summary>
    public static IApplicationBuilder UseReHomeCors(this IApplicationBuilder app) =>
        app.UseWhen(
            http => !http.Request.Path.StartsWithSegments("/api") && !http.Request.Path.StartsWithSegments("/dev")
                && !http.Request.Path.StartsWithSegments("/app"),
            branch => branch.UseCors(Policy));

    private static bool IsOrigin(string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0
        && !origin.Contains('*');
}
