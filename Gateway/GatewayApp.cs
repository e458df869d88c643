using Microsoft.AspNetCore.Http.Features;
using ReHome.Feed;
using ReHome.Gateway.Api;
using ReHome.Gateway.Auth;
using ReHome.Gateway.Demo;
using ReHome.Gateway.Hubs;
using ReHome.Gateway.Pusher;
using ReHome.Gateway.Quotas;
using ReHome.Gateway.Telemetry;
using ReHome.Silo;

namespace ReHome.Gateway;

/// <summary>The gateway's composition, as a table of contents. Tests build it with their own settings.</summary>
public static class GatewayApp
{
    /// <param name="configure">Runs first, so settings it adds decide the mode (embedded or Redis).</param>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null, WebApplicationOptions? options = null)
    {
        var builder = WebApplication.CreateBuilder(options ?? new WebApplicationOptions { Args = args, ContentRootPath = ContentRoot(args) });
        // The build output has no wwwroot: its static web assets manifest names the project's files. ASP.NET Core reads
        // it only in Development; read it always, so a build run as Production serves the page too. The publish output
        // has wwwroot and no such manifest, so there this does nothing.
        builder.WebHost.UseStaticWebAssets();
        configure?.Invoke(builder);
        // Before the cluster: the embedded silo decides from AllowedHosts whether its dashboard is open.
        DevEndpoints.RestrictHosts(builder.Configuration);
        builder.AddReHomeCluster();
        builder.AddServiceDefaults(GatewayMetrics.MeterName, ThreadFeedMetrics.MeterName);
        builder.AddReHomeAuth();
        builder.AddReHomeGateway();

        var app = builder.Build();
        // A request stays in every middleware it passed for as long as its connection is open, hours for a WebSocket.
        // These two can do nothing for an upgraded connection, and a WebSocket client reads no error page before it.
        app.UseWhen(http => !IsUpgrade(http), errors => errors.UseExceptionHandler().UseStatusCodePages());
        app.MapServiceDefaults();
        app.UseReHomeCors();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseProducerRate();
        app.UseNegotiateQuota();
        app.UseUtf8JsonBodies();

        app.MapAgentHub();
        app.MapProducerApi();
        app.MapPusher();
        HostedSilo.MapDashboard(app);
        if (DevEndpoints.Allowed(app.Configuration))
        {
            app.MapDevEndpoints();
        }

        return app;
    }

    /// <summary>A request for a WebSocket, over HTTP/1.1 (an upgrade) or HTTP/2 (an extended CONNECT).</summary>
    private static bool IsUpgrade(HttpContext http) =>
        http.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true
        || http.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect == true;

    /// <summary>
    /// Where appsettings.json and wwwroot are: next to the app, from whatever folder it is started (ASP.NET Core's
    /// default is the working directory), unless <c>--contentRoot</c> or <c>ASPNETCORE_CONTENTROOT</c> says otherwise.
    /// </summary>
    private static string ContentRoot(string[] args) =>
        new ConfigurationBuilder().AddEnvironmentVariables("ASPNETCORE_").AddEnvironmentVariables("DOTNET_").AddCommandLine(args).Build()
            [WebHostDefaults.ContentRootKey] ?? AppContext.BaseDirectory;
}
