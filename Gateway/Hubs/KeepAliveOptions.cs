using Microsoft.AspNetCore.SignalR;

namespace ReHome.Gateway.Hubs;

/// <summary>
/// How soon either side of a hub connection notices the other has gone silent, from the <c>Hub</c> section. The
/// browser client expects the server's pings at <see cref="KeepAliveInterval"/> (its <c>serverKeepAliveMs</c>) and
/// gives the server up after three of them (<c>serverTimeoutMs</c>, 15 s); it pings every 15 s itself, SignalR's
/// default for every client, so <see cref="ClientTimeout"/> stays at twice that. Change both sides together.
/// </summary>
public sealed class KeepAliveOptions
{
    public const string Section = "Hub";

    /// <summary>The server pings a connection after this much silence of its own (SignalR's default is 15 s).</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A connection that sent nothing for this long is closed (SignalR's default, 30 s: twice the 15 s at which
    /// SignalR clients ping by default; shorter would cut off idle clients that keep their defaults). A client that
    /// lost its network is gone after this, and drops out of presence.
    /// </summary>
    public TimeSpan ClientTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public bool IsValid => KeepAliveInterval > TimeSpan.Zero && ClientTimeout > KeepAliveInterval;

    internal static void AddTo(IServiceCollection services)
    {
        services.AddOptions<KeepAliveOptions>().BindConfiguration(Section)
            .Validate(o => o.IsValid, $"{Section}: KeepAliveInterval must be positive and ClientTimeout longer than KeepAliveInterval.")
            .ValidateOnStart();
        services.AddOptions<HubOptions>().Configure<Microsoft.Extensions.Options.IOptions<KeepAliveOptions>>((hub, keepAlive) =>
        {
            hub.KeepAliveInterval = keepAlive.Value.KeepAliveInterval;
            hub.ClientTimeoutInterval = keepAlive.Value.ClientTimeout;
        });
    }
}
