using Microsoft.AspNetCore.SignalR;

namespace ReHome.Gateway.Hubs;

/// <summary>
/// How soon either side of a hub connection notices the other has gone silent, from the <c>Hub</c> section. The
/// browser client uses the same two numbers by default (<c>keepAliveIntervalInMilliseconds</c>,
/// <c>serverTimeoutInMilliseconds</c>); change both sides together.
/// </summary>
public sealed class KeepAliveOptions
{
    public const string Section = "Hub";

    /// <summary>Each side sends a ping after this much silence of its own (SignalR's default is 15 s).</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A connection that sent nothing for this long is closed (SignalR's default is 30 s); for the server, a client
    /// that lost its network is gone after this, and drops out of presence. At least twice <see cref="KeepAliveInterval"/>.
    /// </summary>
    public TimeSpan ClientTimeout { get; set; } = TimeSpan.FromSeconds(15);

    public bool IsValid => KeepAliveInterval > TimeSpan.Zero && ClientTimeout >= 2 * KeepAliveInterval;

    internal static void AddTo(IServiceCollection services)
    {
        services.AddOptions<KeepAliveOptions>().BindConfiguration(Section)
            .Validate(o => o.IsValid, $"{Section}: KeepAliveInterval must be positive and ClientTimeout at least twice KeepAliveInterval.")
            .ValidateOnStart();
        services.AddOptions<HubOptions>().Configure<Microsoft.Extensions.Options.IOptions<KeepAliveOptions>>((hub, keepAlive) =>
        {
            hub.KeepAliveInterval = keepAlive.Value.KeepAliveInterval;
            hub.ClientTimeoutInterval = keepAlive.Value.ClientTimeout;
        });
    }
}
