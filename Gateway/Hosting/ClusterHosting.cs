using Orleans.Configuration;
using ReHome.Silo;

namespace ReHome.Gateway;

/// <summary>
/// How the gateway reaches the cluster. With <c>Redis:ConnectionString</c> it is a plain Orleans client of the
/// Redis-clustered silos, or with <see cref="GatewayOptions.HostSilo"/> one of them; without, it hosts a silo itself in
/// memory (<see cref="HostedSilo"/>) so one command runs everything.
/// </summary>
public static class ClusterHosting
{
    public static bool IsEmbedded(IConfiguration configuration) => ClusterDefaults.RedisConnectionString(configuration) is null;

    /// <summary>Runs a silo in this process: embedded, or co-hosted in a Redis cluster.</summary>
    public static bool HostsSilo(IConfiguration configuration) =>
        IsEmbedded(configuration) || configuration.GetValue<bool>($"{GatewayOptions.Section}:{nameof(GatewayOptions.HostSilo)}");

    public static WebApplicationBuilder AddReHomeCluster(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ClusterConnectionWatcher>();
        if (HostsSilo(builder.Configuration))
        {
            HostedSilo.AddTo(builder);
            return builder;
        }

        var redis = ClusterDefaults.RedisConnectionString(builder.Configuration)!;
        var queueCount = builder.Configuration.GetValue("Streams:QueueCount", ThreadStreams.DefaultQueueCount);
        builder.UseOrleansClient(client =>
        {
            client.UseRedisClustering(redis);
            client.AddReHomeClient(
                ClusterDefaults.ClusterId(builder.Configuration),
                ClusterDefaults.ServiceId(builder.Configuration),
                queueCount);

            // Every call the gateway makes is short, so the recommended 3 s response timeout holds; overridable under "Messaging".
            client.Services.Configure<ClientMessagingOptions>(builder.Configuration.GetSection("Messaging"));
            if (TracingDefaults.Enabled(builder.Configuration))
            {
                // Grain calls carry the trace context, so an HTTP append and its grain call are one trace.
                client.AddActivityPropagation();
            }

            client.Services.AddSingleton<IClusterConnectionStatusObserver>(sp => sp.GetRequiredService<ClusterConnectionWatcher>());

            // /health/ready says when it is connected.
            client.UseConnectionRetryFilter<ConnectRetry>();
        });

        // Kestrel answers /health while the client is still connecting.
        builder.Services.Configure<HostOptions>(o => o.ServicesStartConcurrently = true);
        return builder;
    }
}
