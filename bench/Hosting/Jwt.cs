using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using ReHome.Bench.Baseline;

namespace ReHome.Bench.Hosting;

/// <summary>Browser tokens signed with the <c>Auth__SigningKey</c> the bench gives the gateway (and the baseline).</summary>
internal sealed class Jwt(string signingKey)
{
    /// <summary>The gateway's default <c>Auth:Issuer</c> and <c>Auth:Audience</c>, which the baseline checks too.</summary>
    public const string Issuer = "rehome";
    public const string Audience = "rehome-gateway";

    private readonly JsonWebTokenHandler _handler = new();
    private readonly SigningCredentials _credentials = new(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256);

    public string SigningKey { get; } = signingKey;

    public string ForUser(string userId) => Issue([new Claim("sub", userId)]);

    /// <summary>The baseline producer hub's credential; the gateway's producers use the SDK or a service key instead.</summary>
    public string ForService() => Issue([new Claim("sub", "bench-producer"), new Claim(BaselineServer.ServiceClaim, "true")]);

    private string Issue(Claim[] claims)
    {
        var now = DateTime.UtcNow;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity(claims),
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddHours(4),
            SigningCredentials = _credentials,
        });
    }
}
