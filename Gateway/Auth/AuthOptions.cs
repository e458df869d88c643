using System.ComponentModel.DataAnnotations;

namespace ReHome.Gateway.Auth;

/// <summary>Browser tokens (JWT: HS256 with the shared key, or from an OpenID Connect issuer) and service keys, from the <c>Auth</c> section.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>
    /// The HS256 key, at least 32 bytes of UTF-8. Required with Redis unless <see cref="Authority"/> is set; in the
    /// embedded mode a random key is made at start when none is set (tokens then come from the dev endpoint).
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>The issuer of tokens signed with <see cref="SigningKey"/>.</summary>
    [Required]
    public string Issuer { get; set; } = "rehome";

    /// <summary>The audience every browser token must name, from either kind of issuer.</summary>
    [Required]
    public string Audience { get; set; } = "rehome-gateway";

    /// <summary>
    /// An OpenID Connect issuer whose tokens are accepted besides the shared key's: its metadata
    /// (<c>{Authority}/.well-known/openid-configuration</c>) names the issuer and where its signing keys are. Must be
    /// https, except on a loopback host or with <see cref="AllowHttpAuthority"/>.
    /// </summary>
    public string? Authority { get; set; }

    /// <summary>
    /// Lets <see cref="Authority"/> be plain http on a non-loopback host (an issuer inside a private network). Anyone
    /// on the path could then swap the signing keys, so leave it off unless the network is trusted.
    /// </summary>
    public bool AllowHttpAuthority { get; set; }

    /// <summary>
    /// Keys that backend services send as <c>X-Service-Key</c> to use the producer API. In the embedded mode a
    /// random key is made and logged when none is set.
    /// </summary>
    public string[] ServiceKeys { get; set; } = [];
}
