using Microsoft.AspNetCore.SignalR;

namespace ReHome.Gateway.Presence;

public static class PresenceServices
{
    /// <summary>
    /// Presence: the hub filter that follows joins and leaves, the reporter that keeps this gateway's leases in the
    /// presence grains, and the relay that passes changes to the thread's local group.
    /// </summary>
    /// <param name="groupOfThread">The SignalR group a thread's watchers are in.</param>
    public static IServiceCollection AddReHomePresence(this IServiceCollection services, Func<string, string> groupOfThread)
    {
        services.AddOptions<PresenceOptions>().BindConfiguration(PresenceOptions.Section)
            .Validate(o => o.IsValid, $"{PresenceOptions.Section}: Heartbeat must be positive and Lease between 1 s and 10 min and at least twice Heartbeat.")
            .ValidateOnStart();
        services.AddSingleton<LocalWatchers>();
        services.AddSingleton(sp => new PresenceSender(sp.GetRequiredService<IHubContext<Hubs.AgentHub>>().Clients, groupOfThread));
        services.AddSingleton<PresenceRelay>();
        services.AddSingleton<PresenceReporter>();
        services.AddHostedService(sp => sp.GetRequiredService<PresenceReporter>());
        services.Configure<HubOptions>(o => o.AddFilter<PresenceHubFilter>());
        return services;
    }
}
