using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ReHome.Smoke;

/// <summary>
/// Signs a browser token (JWT, HS256, <c>sub</c> = user id) with the gateway's shared key, as the backend that
/// owns the users does. Issuer and audience default to the gateway's defaults.
/// </summary>
public static class ViewerToken
{
    public static string Sign(string signingKey, string userId, TimeSpan lifetime, string issuer = "rehome", string audience = "rehome-gateway")
    {
        ArgumentException.ThrowIfNullOrEmpty(signingKey);
        ArgumentException.ThrowIfNullOrEmpty(userId);
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", userId)]),
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
