using System.ComponentModel.DataAnnotations;

namespace ReHome.Gateway.Auth;

/// <summary>Browser tokens (JWT, HS256) and service keys, from the <c>Auth</c> section.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>
    /// The HS256 key, at least 32 bytes of UTF-8. Required with Redis; in the embedded mode a random key is made
    /// at start when none is set (tokens then come from the dev endpoint).
    /// </summary>
    public string? SigningKey { get; set; }

    [Required]
    public string Issuer { get; set; } = "rehome";

    [Required]
    public string Audience { get; set; } = "rehome-gateway";

    /// <summary>
    /// Keys that backend services send as <c>X-Service-Key</c> to use the producer API. In the embedded mode a
    /// random key is made and logged when none is set.
    /// </summary>
    public string[] ServiceKeys { get; set; } = [];
}
