using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using ReHome.Producer;

namespace ReHome.Smoke;

/// <summary>
/// A backend's connection to the cluster: an Orleans client over Redis clustering with the thread streams and
/// the producer SDK, as a service that streams answers would set it up.
/// </summary>
public sealed class SmokeCluster(IHost host) : IAsyncDisposable
{
    public IClusterClient Client => host.Services.GetRequiredService<IClusterClient>();

    public IStreamProducer Producer => host.Services.GetRequiredService<IStreamProducer>();

    public static async Task<SmokeCluster> Connect(
        string redis,
        string clusterId = "rehome",
        string serviceId = "rehome",
        Action<StreamProducerOptions>? producer = null,
        LogLevel logLevel = LogLevel.Warning,
        CancellationToken cancellationToken = default)
    {
        // No default sources: nothing from the working directory's appsettings or the environment leaks in.
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(logLevel);
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = serviceId;
            });
            client.UseRedisClustering(redis);

            // As the gateway does: a call in flight through a silo that dies is never answered, so do not wait
            // Orleans' default 30 s for it; the producer SDK retries it (by index, so nothing is numbered twice).
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(3));
            client.AddReHomeStreams();
        });
        builder.Services.AddReHomeProducer(producer);

        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new SmokeCluster(host);
    }

    public async Task<int> ActiveSilos() =>
        (await Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Count;

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
    }
}
