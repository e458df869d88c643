using ReHome.Feed;
using ReHome.Silo;

var builder = WebApplication.CreateBuilder(args);
builder.AddReHomeSilo();
builder.AddServiceDefaults(ThreadFeedMetrics.MeterName).AddRedisReadiness();
builder.Services.AddHealthChecks().AddCheck<SiloActiveHealthCheck>("silo", tags: [ServiceDefaults.ReadyTag]);
builder.WebHost.UseUrls(builder.Configuration["Urls"] ?? "http://127.0.0.1:8081");

var app = builder.Build();
app.MapServiceDefaults();
app.MapReHomeDashboard(open: false);
app.Run();
