using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ReHome.Gateway.Auth;

public sealed class ServiceKeyOptions : AuthenticationSchemeOptions
{
    public const string Scheme = "ServiceKey";
    public const string Header = "X-Service-Key";
}

/// <summary>Authenticates backend services by a shared key in <c>X-Service-Key</c>, kept apart from browser tokens.</summary>
internal sealed class ServiceKeyHandler(
    IOptionsMonitor<ServiceKeyOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<AuthOptions> auth) : AuthenticationHandler<ServiceKeyOptions>(options, logger, encoder)
{
    private readonly byte[][] _keyHashes = [.. auth.Value.ServiceKeys.Select(Hash)];

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(ServiceKeyOptions.Header, out var presented) || presented.Count != 1)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        // Compare hashes in constant time, so timing says nothing about how much of a key matched.
        var hash = Hash(presented[0]!);
        var index = -1;
        for (var i = 0; i < _keyHashes.Length; i++)
        {
            if (CryptographicOperations.FixedTimeEquals(_keyHashes[i], hash))
            {
                index = i;
            }
        }

        if (index < 0)
        {
            return Task.FromResult(AuthenticateResult.Fail("Unknown service key."));
        }

        // Which key it was (its position, never the key), so per-key limits can tell backends apart.
        var identity = new ClaimsIdentity(
            [new Claim(AuthSetup.ServiceClaim, "true"), new Claim(AuthSetup.ServiceKeyClaim, index.ToString(CultureInfo.InvariantCulture))],
            ServiceKeyOptions.Scheme);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), ServiceKeyOptions.Scheme)));
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
