using ReHome.Gateway.Api;
using ReHome.Gateway.Auth;
using ReHome.Gateway.Demo;
using ReHome.Gateway.Hubs;
using ReHome.Gateway.Pusher;
using ReHome.Gateway.Telemetry;
using ReHome.Silo;

namespace ReHome.Gateway;

/// <summary>The gateway's composition, as a table of contents. Tests build it with their own settings.</summary>
public static class GatewayApp
{
    /// <param name="configure">Runs first, so settings it adds decide the mode (embedded or Redis).</param>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null, WebApplicationOptions? options = null)
    {
        var builder = WebApplication.CreateBuilder(options ?? new WebApplicationOptions { Args = args });
        configure?.Invoke(builder);
        builder.AddReHomeCluster();
        builder.AddServiceDefaults(GatewayMetrics.MeterName);
        builder.AddReHomeAuth();
        builder.AddReHomeGateway();

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapServiceDefaults();
        app.MapHub<AgentHub>(HubContract.Path);
        app.MapProducerApi();
        app.MapPusher();
        EmbeddedSilo.MapDashboard(app);
        if (DevEndpoints.Allowed(app.Configuration))
        {
            app.MapDevEndpoints();
        }

        return app;
    }
}
