using Microsoft.Extensions.DependencyInjection.Extensions;
using ReHome.Gateway.Demo;
using ReHome.Gateway.Fanout;
using ReHome.Gateway.Hubs;
using ReHome.Gateway.Presence;
using ReHome.Gateway.Pusher;
using ReHome.Gateway.Telemetry;
using Microsoft.AspNetCore.SignalR;
using ReHome.Silo;

namespace ReHome.Gateway;

public static class GatewayServices
{
    public static WebApplicationBuilder AddReHomeGateway(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section)
            .Validate(o => o.ConnectionQueueLimit >= 1 && o.BehindTimeout > TimeSpan.Zero,
                "Gateway:ConnectionQueueLimit must be at least 1 and Gateway:BehindTimeout positive.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<GatewayMetrics>();
        builder.Services.AddSingleton<ThreadFanout>();
        builder.Services.AddSingleton<ResumeTracker>();
        builder.Services.AddHostedService<SubscriptionKeeper>();
        builder.Services.AddHostedService<StalledViewerSweep>();
        builder.Services.AddPusherEndpoint();
        builder.Services.AddReHomeProducer();
        builder.Services.AddSingleton<DemoProducer>();
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            // A body the JSON reader refused gets a bare 400 from the framework; give it the API's shape.
            if (context.ProblemDetails.Status == StatusCodes.Status400BadRequest && !context.ProblemDetails.Extensions.ContainsKey("code"))
            {
                context.ProblemDetails.Type = "urn:rehome:error:invalid_request";
                context.ProblemDetails.Detail ??= "The request body is missing or is not valid JSON for this endpoint.";
                context.ProblemDetails.Extensions["code"] = "invalid_request";
                context.ProblemDetails.Extensions["field"] = "body";
            }
        });
        builder.Services.AddHealthChecks().AddCheck<ClusterHealthCheck>("cluster", tags: [ServiceDefaults.ReadyTag]);

        builder.Services.AddSignalR(o =>
        {
            o.MaximumReceiveMessageSize = 64 * 1024;
            o.AddFilter<ReHomeErrorFilter>();
        }).AddMessagePackProtocol();

        // Each connection gets its own outbound queue (the fan-out's Viewer) instead of SignalR groups.
        builder.Services.AddSingleton<DefaultHubLifetimeManager<AgentHub>>();
        builder.Services.AddSingleton<HubLifetimeManager<AgentHub>, ViewerLifetimeManager>();
        KeepAliveOptions.AddTo(builder.Services);
        builder.Services.AddReHomePresence();
        return builder;
    }
}
