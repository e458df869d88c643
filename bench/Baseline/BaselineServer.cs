using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;
using ReHome.Bench.Hosting;
using ReHome.Bench.Load;

namespace ReHome.Bench.Baseline;

/// <summary>
/// The baseline: a plain single-process ASP.NET Core SignalR server with no Orleans. It numbers tokens in memory
/// and broadcasts each one straight to the thread's group. Same hub path, JWT validation, event names and payload
/// as the gateway, so the same viewers and load run against both; the difference is the cluster hop.
/// </summary>
internal static class BaselineServer
{
    public const string ServiceClaim = "bench:service";

    public static async Task Run(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var signingKey = builder.Configuration["Auth:SigningKey"] ?? throw new InvalidOperationException("Auth:SigningKey is required.");
        var serviceKey = builder.Configuration["Auth:ServiceKey"] ?? throw new InvalidOperationException("Auth:ServiceKey is required.");

        builder.Services.AddSingleton<BaselineStreams>();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(jwt =>
        {
            jwt.MapInboundClaims = false;
            jwt.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = ViewerToken.DefaultIssuer,
                ValidAudience = ViewerToken.DefaultAudience,
                IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)),
                ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                NameClaimType = "sub",
                ClockSkew = TimeSpan.FromSeconds(30),
            };
            jwt.Events = new JwtBearerEvents
            {
                OnMessageReceived = context =>
                {
                    if (context.Request.Path.StartsWithSegments("/hubs") && context.Request.Query["access_token"] is { Count: > 0 } token)
                    {
                        context.Token = token;
                    }

                    return Task.CompletedTask;
                },
            };
        });
        builder.Services.AddAuthorizationBuilder().AddPolicy("service", p => p.RequireClaim(ServiceClaim));
        builder.Services.AddSignalR(o => o.MaximumReceiveMessageSize = 64 * 1024).AddMessagePackProtocol();

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapHub<BaselineAgentHub>(HubContract.Path);
        app.MapHub<BaselineProducerHub>("/hubs/producer");
        app.MapGet("/health", () => "ok");
        app.MapGet("/metrics", GcMetrics);
        app.MapBaselineApi(serviceKey);
        await app.RunAsync();
    }

    /// <summary>The GC series the bench reads, under the names the System.Runtime meter gives them.</summary>
    private static string GcMetrics()
    {
        var text = new StringBuilder();
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        string[] generations = ["gen0", "gen1", "gen2", "loh", "poh"];
        text.Append(CultureInfo.InvariantCulture, $"dotnet_gc_collections_total{{gc_heap_generation=\"gen2\"}} {GC.CollectionCount(2)}\n");
        text.Append(CultureInfo.InvariantCulture, $"dotnet_gc_heap_total_allocated_bytes_total {GC.GetTotalAllocatedBytes()}\n");
        for (var i = 0; i < generations.Length && i < info.GenerationInfo.Length; i++)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"dotnet_gc_last_collection_heap_size_bytes{{gc_heap_generation=\"{generations[i]}\"}} {info.GenerationInfo[i].SizeAfterBytes}\n");
            text.Append(CultureInfo.InvariantCulture,
                $"dotnet_gc_last_collection_heap_fragmentation_size_bytes{{gc_heap_generation=\"{generations[i]}\"}} {info.GenerationInfo[i].FragmentationAfterBytes}\n");
        }

        return text.ToString();
    }
}
