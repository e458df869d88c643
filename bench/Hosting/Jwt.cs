using System.Security.Claims;
using ReHome.Bench.Baseline;

namespace ReHome.Bench.Hosting;

/// <summary>Browser tokens signed with the <c>Auth__SigningKey</c> the bench gives the gateway (and the baseline).</summary>
internal sealed class Jwt(string signingKey)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(4);

    public string SigningKey { get; } = signingKey;

    public string ForUser(string userId) => ViewerToken.Sign(SigningKey, userId, Lifetime);

    /// <summary>The baseline producer hub's credential; the gateway's producers use the SDK or a service key instead.</summary>
    public string ForService() =>
        ViewerToken.Sign(SigningKey, "bench-producer", Lifetime, claims: [new Claim(BaselineServer.ServiceClaim, "true")]);
}
