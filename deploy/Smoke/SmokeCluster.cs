using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ReHome.Producer;

namespace ReHome.Smoke;

/// <summary>
/// A backend's connection to the cluster: an Orleans client over Redis clustering with the thread streams and
/// the producer SDK, as a service that streams answers would set it up.
/// </summary>
public sealed class SmokeCluster(IHost host) : ISmokeBackend
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
        // The cluster's ids, the client settings a producer should use (3 s response timeout, 2 s gateway-list refresh), the thread streams.
        builder.UseOrleansClient(client => client.UseRedisClustering(redis).AddReHomeClient(clusterId, serviceId));
        builder.Services.AddReHomeProducer(producer);

        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new SmokeCluster(host);
    }

    public async Task<string?> ThreadOwner(string threadId) =>
        (await Client.GetGrain<IThreadGrain>(threadId).GetAccess())?.OwnerUserId;

    public async Task<bool?> RunExists(string runId) => await Client.GetGrain<IRunGrain>(runId).GetInfo() is not null;

    public async Task<StreamInfo> StreamInfo(string streamId) => await Client.GetGrain<IStreamGrain>(streamId).GetInfo();

    public async Task<TokenPage> Tokens(string streamId) => await Client.GetGrain<IStreamGrain>(streamId).GetTokens(0);

    public async Task<int> ActiveSilos() =>
        (await Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Count;

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
    }
}
