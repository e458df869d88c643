using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using ReHome.Silo;
using ReHome.Tests.Infrastructure;
using StackExchange.Redis;

namespace ReHome.Tests.Redis;

public sealed class RedisHealthCheckTests
{
    [SkippableFact]
    public async Task Readiness_probes_reuse_one_Redis_connection()
    {
        var binary = RedisServer.FindBinary();
        Skip.If(binary is null, "redis-server is not installed, so this test is skipped (under CI=true it fails instead).");
        await using var redis = await RedisServer.Start(binary);
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["Redis:ConnectionString"] = redis.ConnectionString;
        builder.AddServiceDefaults().AddRedisReadiness();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.MapServiceDefaults();
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First()) };
        await using var observer = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        var server = observer.GetServer(observer.GetEndPoints()[0]);

        (await http.GetAsync("/health/ready")).EnsureSuccessStatusCode();
        var clients = (await server.ClientListAsync()).Length;
        for (var i = 0; i < 10; i++)
        {
            (await http.GetAsync("/health/ready")).EnsureSuccessStatusCode();
        }

        Assert.Equal(clients, (await server.ClientListAsync()).Length);
        await app.StopAsync();
    }
}
