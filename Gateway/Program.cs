using ReHome.Gateway;
using ReHome.Gateway.Api;
using ReHome.Gateway.Auth;
using ReHome.Gateway.Demo;
using ReHome.Gateway.Hubs;
using ReHome.Gateway.Telemetry;
using ReHome.Silo;

var builder = WebApplication.CreateBuilder(args);
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
app.MapHub<AgentHub>(AuthSetup.HubPath);
app.MapProducerApi();
if (ClusterHosting.IsEmbedded(app.Configuration))
{
    app.MapDevEndpoints();
}

app.Run();

/// <summary>Visible to the tests, which host the gateway on real Kestrel.</summary>
public partial class Program;
