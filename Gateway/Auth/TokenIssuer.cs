using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ReHome.Gateway.Auth;

/// <summary>
/// Makes browser tokens with the gateway's own key. Production tokens come from the backend that owns the users;
/// this serves the embedded mode's dev endpoint, the smoke command and the tests.
/// </summary>
public sealed class TokenIssuer(IOptions<AuthOptions> options, TimeProvider time)
{
    public string Issue(string userId, TimeSpan lifetime)
    {
        var auth = options.Value;
        var now = time.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", userId)]),
            Issuer = auth.Issuer,
            Audience = auth.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(AuthSetup.SecurityKey(auth), SecurityAlgorithms.HmacSha256),
        });
    }
}
