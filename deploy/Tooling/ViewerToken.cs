using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ReHome.Tooling;

/// <summary>
/// Signs a browser token (JWT, HS256, <c>sub</c> = user id) with the gateway's shared key, as the backend that
/// owns the users does. Issuer and audience default to the gateway's defaults; <c>claims</c> adds
/// more (the bench's baseline marks its producer so).
/// </summary>
public static class ViewerToken
{
    /// <summary>The gateway's default <c>Auth:Issuer</c> and <c>Auth:Audience</c>.</summary>
    public const string DefaultIssuer = "rehome";
    public const string DefaultAudience = "rehome-gateway";

    public static string Sign(string signingKey, string userId, TimeSpan lifetime, string issuer = DefaultIssuer, string audience = DefaultAudience, IEnumerable<Claim>? claims = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(signingKey);
        ArgumentException.ThrowIfNullOrEmpty(userId);
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", userId), .. claims ?? []]),
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(
                new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256),
        });
    }
}
