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
        builder.Services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<GatewayMetrics>();
        builder.Services.AddSingleton<ThreadFanout>();
        builder.Services.AddSingleton<ResumeTracker>();
        builder.Services.AddHostedService<SubscriptionKeeper>();
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
        KeepAliveOptions.AddTo(builder.Services);
        builder.Services.AddReHomePresence(AgentHub.Group);
        return builder;
    }
}
