using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;

namespace ReHome.Tests.Infrastructure;

/// <summary>
/// The gateway with the edge settings a public deployment would use, tightened so tests reach them: small quotas,
/// <c>/metrics</c> on its own port behind a key, an OpenID Connect issuer besides the shared key, and one allowed
/// cross-origin page origin.
/// </summary>
public sealed class EdgeGatewayFixture : GatewayFixture
{
    public const int HubInvocationsPerSecond = 2;
    public const int HubInvocationBurst = 10;
    public const int ThreadsPerConnection = 3;
    public const int ConnectionsPerUser = 2;
    public const int ProducerRequestBurst = 20;
    public const string MetricsKey = "test-metrics-key-0123456789";
    public const string SecondServiceKey = "test-service-key-second-0123456789";

    public OidcIssuer Issuer { get; private set; } = null!;

    public Uri MetricsAddress { get; } = new($"http://127.0.0.1:{TestPorts.Next()}");

    /// <summary>An origin (another port on loopback) whose pages may use this gateway.</summary>
    public Uri AllowedOrigin { get; } = new($"http://localhost:{TestPorts.Next()}");

    protected override Dictionary<string, string?> Settings => new()
    {
        ["Quotas:HubInvocationsPerSecond"] = HubInvocationsPerSecond.ToString(),
        ["Quotas:HubInvocationBurst"] = HubInvocationBurst.ToString(),
        ["Quotas:ThreadsPerConnection"] = ThreadsPerConnection.ToString(),
        ["Quotas:ConnectionsPerUser"] = ConnectionsPerUser.ToString(),
        ["Quotas:ProducerRequestsPerSecond"] = "1",
        ["Quotas:ProducerRequestBurst"] = ProducerRequestBurst.ToString(),
        ["Auth:ServiceKeys:1"] = SecondServiceKey,
        ["Metrics:Url"] = MetricsAddress.ToString().TrimEnd('/'),
        ["Metrics:Key"] = MetricsKey,
        ["Auth:Authority"] = Issuer.Authority,
        ["Gateway:AllowedOrigins:0"] = AllowedOrigin.ToString().TrimEnd('/'),
    };

    /// <summary>Users whose connections take <see cref="SlowTeardown"/> to leave their threads once closed.</summary>
    public const string SlowTeardownUserPrefix = "slow-teardown-";

    public static readonly TimeSpan SlowTeardown = TimeSpan.FromSeconds(6);

    /// <summary>Innermost, as the fan-out's teardown is: a disconnect of such a user waits as one through a failing silo would.</summary>
    protected override void ConfigureServices(IServiceCollection services) =>
        services.PostConfigure<HubOptions>(o => o.AddFilter(new SlowTeardownFilter()));

    public override async Task InitializeAsync()
    {
        Issuer = await OidcIssuer.Start();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Issuer.DisposeAsync();
    }
}

internal sealed class SlowTeardownFilter : IHubFilter
{
    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        if (context.Context.UserIdentifier?.StartsWith(EdgeGatewayFixture.SlowTeardownUserPrefix, StringComparison.Ordinal) == true)
        {
            await Task.Delay(EdgeGatewayFixture.SlowTeardown);
        }

        await next(context, exception);
    }
}

[CollectionDefinition(Name)]
public sealed class EdgeGatewayCollection : ICollectionFixture<EdgeGatewayFixture>
{
    public const string Name = "edge gateway";
}
