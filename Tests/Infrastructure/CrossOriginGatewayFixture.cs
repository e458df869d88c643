namespace ReHome.Tests.Infrastructure;

/// <summary>The gateway with one allowed page origin (<c>Gateway:AllowedOrigins</c>), another loopback port.</summary>
public sealed class CrossOriginGatewayFixture : GatewayFixture
{
    /// <summary>The origin whose pages may use this gateway.</summary>
    public Uri AllowedOrigin { get; } = new($"http://localhost:{TestPorts.Next()}");

    protected override Dictionary<string, string?> Settings => new()
    {
        ["Gateway:AllowedOrigins:0"] = AllowedOrigin.ToString().TrimEnd('/'),
    };
}
