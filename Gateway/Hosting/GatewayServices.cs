using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ReHome.Feed;
using ReHome.Gateway.Api;
using ReHome.Gateway.Auth;
using ReHome.Gateway.Demo;
using ReHome.Gateway.Fanout;
using ReHome.Gateway.Hubs;
using ReHome.Gateway.Presence;
using ReHome.Gateway.Pusher;
using ReHome.Gateway.Telemetry;
using ReHome.Silo;

namespace ReHome.Gateway;

public static class GatewayServices
{
    public static WebApplicationBuilder AddReHomeGateway(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section)
            .Validate(o => o.ConnectionQueueLimit >= 1 && o.BehindTimeout > TimeSpan.Zero,
                "Gateway:ConnectionQueueLimit must be at least 1 and Gateway:BehindTimeout positive.")
            .Validate(o => o.SubscriptionCheckInterval > TimeSpan.Zero && o.SilentStreamProbe > TimeSpan.Zero
                    && o.FailoverSilentStreamProbe > TimeSpan.Zero && o.FailoverProbeWindow >= TimeSpan.Zero,
                "Gateway:SubscriptionCheckInterval, SilentStreamProbe and FailoverSilentStreamProbe must be positive, and FailoverProbeWindow not negative.")
            .ValidateOnStart();
        builder.Services.AddOptions<ThreadFeedOptions>().Configure<IOptions<GatewayOptions>>((feeds, gateway) =>
            feeds.CheckInterval = gateway.Value.SubscriptionCheckInterval);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<GatewayMetrics>();
        builder.Services.AddSingleton<ThreadFanout>();
        builder.Services.AddSingleton<ResumeTracker>();
        builder.Services.AddHostedService<SubscriptionKeeper>();
        builder.Services.AddHostedService<StalledViewerSweep>();
        builder.Services.AddPusherEndpoint();
        builder.Services.AddReHomeProducer();
        builder.Services.AddSingleton<DemoProducer>();
        builder.AddHttpApi();
        builder.AddReHomeCors();
        builder.Services.AddSingleton<ClusterHealthCheck>();
        builder.Services.AddHealthChecks().AddCheck<ClusterHealthCheck>("cluster", tags: [ServiceDefaults.ReadyTag]);

        builder.AddAgentHub();
        KeepAliveOptions.AddTo(builder.Services);
        builder.Services.AddReHomePresence();
        return builder;
    }
}
