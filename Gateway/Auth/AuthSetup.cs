using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace ReHome.Gateway.Auth;

public static class AuthSetup
{
    /// <summary>Claim carried by a principal that authenticated with a service key.</summary>
    public const string ServiceClaim = "rehome:service";

    /// <summary>Claim naming which of <c>Auth:ServiceKeys</c> a service presented (its index).</summary>
    public const string ServiceKeyClaim = "rehome:service-key";

    /// <summary>The producer API's policy: a service key. A browser token there is authenticated but forbidden (403).</summary>
    public const string ServicePolicy = "service";

    public const int MinServiceKeyLength = 16;

    public static WebApplicationBuilder AddReHomeAuth(this WebApplicationBuilder builder)
    {
        var embeddedDefaults = ClusterHosting.IsEmbedded(builder.Configuration) ? new EmbeddedDefaults() : null;
        builder.Services.AddOptions<AuthOptions>()
            .BindConfiguration(AuthOptions.Section)
            .ValidateDataAnnotations()
            .PostConfigure<ILoggerFactory>((o, logs) => embeddedDefaults?.Fill(o, logs.CreateLogger("ReHome.Gateway.Auth")))
            .Validate(o => o.SigningKey is { } key ? Encoding.UTF8.GetByteCount(key) >= 32 : o.Authority is not null,
                "Auth:SigningKey is required (unless Auth:Authority is set) and must be at least 32 bytes (HS256).")
            .Validate(o => o.Authority is null || BrowserTokens.IsAcceptableAuthority(o.Authority, o.AllowHttpAuthority),
                "Auth:Authority must be an absolute https URL; plain http only on a loopback host or with Auth:AllowHttpAuthority=true.")
            .Validate(o => o.ServiceKeys.All(key => key is { Length: >= MinServiceKeyLength }),
                $"Every Auth:ServiceKeys entry must be at least {MinServiceKeyLength} characters.")
            .ValidateOnStart();

        builder.Services.AddSingleton<IUserIdProvider, SubjectUserIdProvider>();
        builder.Services.AddSingleton<TokenIssuer>();
        builder.Services.AddAuthentication(BrowserTokens.Scheme)
            .AddBrowserTokens()
            .AddScheme<ServiceKeyOptions, ServiceKeyHandler>(ServiceKeyOptions.Scheme, _ => { });

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ServicePolicy, policy => policy
                // Both schemes authenticate, so a browser token is recognised and refused (403) rather than unknown (401);
                // only an identity the service-key scheme made is a service, whatever claims a JWT carries.
                .AddAuthenticationSchemes(ServiceKeyOptions.Scheme, BrowserTokens.Scheme)
                .RequireAssertion(context => context.User.Identities.Any(identity =>
                    identity.AuthenticationType == ServiceKeyOptions.Scheme && identity.HasClaim(ServiceClaim, "true"))));
        return builder;
    }

    public static SymmetricSecurityKey SecurityKey(AuthOptions options) => new(Encoding.UTF8.GetBytes(options.SigningKey!));

    /// <summary>
    /// The embedded mode's stand-ins for missing keys, made once per process so every options instance agrees.
    /// </summary>
    private sealed class EmbeddedDefaults
    {
        private readonly string _signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        private readonly string _serviceKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        private int _logged;

        public void Fill(AuthOptions options, ILogger logger)
        {
            if (string.IsNullOrEmpty(options.SigningKey))
            {
                options.SigningKey = _signingKey;
            }

            if (options.ServiceKeys.Length == 0)
            {
                options.ServiceKeys = [_serviceKey];
                if (Interlocked.Exchange(ref _logged, 1) == 0)
                {
                    logger.LogWarning("Embedded mode: no Auth:ServiceKeys set; the producer API accepts X-Service-Key: {ServiceKey} for this run.", _serviceKey);
                }
            }
        }
    }

    private sealed class SubjectUserIdProvider : IUserIdProvider
    {
        public string? GetUserId(HubConnectionContext connection) => connection.User.FindFirst(BrowserTokens.SubjectClaim)?.Value;
    }
}
