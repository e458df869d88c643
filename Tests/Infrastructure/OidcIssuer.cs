using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ReHome.Tests.Infrastructure;

/// <summary>
/// A stand-in OpenID Connect issuer on real Kestrel on loopback: it serves its discovery document and its signing
/// keys (JWKS) the way an identity provider does, and signs RS256 tokens with a private key only it holds.
/// </summary>
public sealed class OidcIssuer : IAsyncDisposable
{
    private readonly RSA _key = RSA.Create(2048);
    private readonly WebApplication _app;
    private int _metadataRequests;

    private OidcIssuer(WebApplication app, string authority)
    {
        _app = app;
        Authority = authority;
    }

    /// <summary>The issuer URL, which is also its <c>iss</c>; the discovery document is under it.</summary>
    public string Authority { get; }

    public string KeyId { get; } = "key-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>How often the gateway fetched the discovery document (it caches it).</summary>
    public int MetadataRequests => _metadataRequests;

    public static async Task<OidcIssuer> Start()
    {
        var port = TestPorts.Next();
        var authority = $"http://127.0.0.1:{port}/issuer";
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var issuer = new OidcIssuer(app, authority);
        app.MapGet("/issuer/.well-known/openid-configuration", () =>
        {
            Interlocked.Increment(ref issuer._metadataRequests);
            return Results.Json(new Dictionary<string, object>
            {
                ["issuer"] = authority,
                ["jwks_uri"] = authority + "/jwks",
                ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            });
        });
        app.MapGet("/issuer/jwks", () =>
        {
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(issuer._key.ExportParameters(false)) { KeyId = issuer.KeyId });
            return Results.Json(new { keys = new[] { new { kty = jwk.Kty, use = "sig", kid = jwk.Kid, alg = "RS256", n = jwk.N, e = jwk.E } } });
        });
        await app.StartAsync();
        return issuer;
    }

    /// <summary>An RS256 token signed with this issuer's key (or <paramref name="signWith"/>), naming <paramref name="issuer"/> (default: this one).</summary>
    public string Token(string? subject, string audience = "rehome-gateway", string? issuer = null, RSA? signWith = null, TimeSpan? lifetime = null)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity(subject is null ? [] : [new Claim("sub", subject)]),
            Issuer = issuer ?? Authority,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + (lifetime ?? TimeSpan.FromMinutes(10)),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(signWith ?? _key) { KeyId = KeyId }, SecurityAlgorithms.RsaSha256),
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _key.Dispose();
    }
}
