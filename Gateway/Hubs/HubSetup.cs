using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using ReHome.Gateway.Auth;
using ReHome.Gateway.Quotas;

namespace ReHome.Gateway.Hubs;

/// <summary>The hub's doors: its protocols, the filters every call passes, and its endpoint.</summary>
internal static class HubSetup
{
    public static WebApplicationBuilder AddAgentHub(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<QuotaOptions>().BindConfiguration(QuotaOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ConnectionCounts>();
        builder.Services.AddSingleton<TokenExpiryFilter>();
        builder.Services.AddSingleton<HubQuotaFilter>();
        builder.Services.AddSingleton<InvalidInvocationFilter>();

        builder.Services.AddSignalR(o =>
        {
            o.MaximumReceiveMessageSize = 64 * 1024;
            // Outermost first: refusals are logged and typed, then expired tokens, quotas and unbindable calls are refused.
            o.AddFilter<ReHomeErrorFilter>();
            o.AddFilter<TokenExpiryFilter>();
            o.AddFilter<HubQuotaFilter>();
            o.AddFilter<InvalidInvocationFilter>();
        }).AddMessagePackProtocol();
        WrapProtocols(builder.Services);

        // Each connection gets its own outbound queue (the fan-out's Viewer) instead of SignalR groups.
        builder.Services.AddSingleton<DefaultHubLifetimeManager<AgentHub>>();
        builder.Services.AddSingleton<HubLifetimeManager<AgentHub>, ViewerLifetimeManager>();

        // SignalR logs every refused call (a HubException) as an error with its stack trace; ReHomeErrorFilter logs
        // refusals as routine and real failures as errors, so the dispatcher's own log only repeats them.
        builder.Logging.AddFilter("Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher", LogLevel.Critical);
        return builder;
    }

    public static HubEndpointConventionBuilder MapAgentHub(this IEndpointRouteBuilder app) =>
        app.MapHub<AgentHub>(HubContract.Path, o =>
        {
            // A connection is closed once its token's exp has passed (checked every second); the client reconnects
            // with a fresh token from its accessTokenFactory, re-joins, and fetches what it missed.
            o.CloseOnAuthenticationExpiration = true;
        });

    /// <summary>
    /// Every registered hub protocol (JSON, MessagePack) goes through <see cref="ArgumentCheckingProtocol"/>, and JSON
    /// writes its token events through <see cref="TokenJsonProtocol"/>.
    /// </summary>
    private static void WrapProtocols(IServiceCollection services)
    {
        var protocols = services.Where(d => d.ServiceType == typeof(IHubProtocol) && d.ImplementationType is not null).ToList();
        foreach (var descriptor in protocols)
        {
            var type = descriptor.ImplementationType!;
            services.Remove(descriptor);
            services.AddSingleton<IHubProtocol>(sp =>
            {
                var protocol = (IHubProtocol)ActivatorUtilities.CreateInstance(sp, type);
                return new ArgumentCheckingProtocol(protocol is JsonHubProtocol ? new TokenJsonProtocol(protocol) : protocol);
            });
        }
    }
}
