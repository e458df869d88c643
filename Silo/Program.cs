using ReHome.Feed;
using ReHome.Silo;

var builder = WebApplication.CreateBuilder(args);
if (ClusterDefaults.RedisConnectionString(builder.Configuration) is null)
{
    // Without Redis this would be a cluster of one, in memory, that no gateway can find, yet ready.
    Console.Error.WriteLine("ReHome.Silo is one silo of a Redis cluster: set Redis:ConnectionString (Redis__ConnectionString). "
        + "For one process with everything in memory, run the gateway alone: dotnet run --project Gateway.");
    return 2;
}

builder.AddReHomeSilo();
builder.AddServiceDefaults(ThreadFeedMetrics.MeterName).AddRedisReadiness();
builder.Services.AddHealthChecks().AddCheck<SiloActiveHealthCheck>("silo", tags: [ServiceDefaults.ReadyTag]);
builder.WebHost.UseUrls(builder.Configuration["Urls"] ?? "http://127.0.0.1:8081");

var app = builder.Build();
app.MapServiceDefaults();
app.MapReHomeDashboard(open: false);
app.Run();
return 0;
