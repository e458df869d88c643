using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using ReHome.Feed;

namespace ReHome;

public static class ClientBuilderExtensions
{
    /// <summary>The silos' default cluster and service ids (<c>Orleans:ClusterId</c>, <c>Orleans:ServiceId</c>).</summary>
    public const string DefaultClusterId = "rehome";

    /// <inheritdoc cref="DefaultClusterId"/>
    public const string DefaultServiceId = "rehome";

    /// <summary>
    /// How long a client waits for a grain call. A call in flight through a silo that dies is never answered, so
    /// Orleans' default of 30 s would stall a producer for half a minute; the producer SDK retries a timed-out call
    /// under the same sequence numbers, so a short timeout costs nothing.
    /// </summary>
    public static readonly TimeSpan RecommendedResponseTimeout = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How often a client reads the silos' gateway list, which is also how long it keeps away from a gateway that
    /// told it to stop sending (a silo shutting down) or whose connection failed. With Orleans' 1 min, silos restarted
    /// in a rolling upgrade stay out of use for a minute, so every call moves to the silos not yet restarted; at the
    /// last one the client has no gateway left, falls back to all it knows, the stopping one included, and every
    /// stream's calls wait out a timeout there (about 1 s for every stream, in the rolling-restart tests). One read of
    /// the membership table per client per period finds a restarted silo, or a new one, within seconds.
    /// </summary>
    public static readonly TimeSpan RecommendedGatewayListRefreshPeriod = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Everything a backend's Orleans client needs to reach ReHome's silos, besides clustering (for example
    /// <c>UseRedisClustering</c>): the silos' cluster and service ids, the recommended response timeout and gateway
    /// list refresh, and the thread streams' provider.
    /// </summary>
    public static IClientBuilder AddReHomeClient(
        this IClientBuilder client,
        string clusterId = DefaultClusterId,
        string serviceId = DefaultServiceId,
        int queueCount = ThreadStreams.DefaultQueueCount)
    {
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = clusterId;
            o.ServiceId = serviceId;
        });
        client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = RecommendedResponseTimeout);
        client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = RecommendedGatewayListRefreshPeriod);
        return client.AddReHomeStreams(queueCount);
    }

    /// <summary>
    /// Registers the thread streams' provider on a cluster client, under the silos' name and with their queue count.
    /// Without it a client can call grains but not subscribe to threads.
    /// </summary>
    public static IClientBuilder AddReHomeStreams(this IClientBuilder client, int queueCount = ThreadStreams.DefaultQueueCount)
    {
        if (queueCount is < 1 or > ThreadStreams.MaxQueueCount)
        {
            throw new ArgumentOutOfRangeException(nameof(queueCount), queueCount,
                $"Streams:QueueCount is {queueCount}; it must be 1–{ThreadStreams.MaxQueueCount}, and the same number as the silos'.");
        }

        client.Services.AddThreadFeeds(queueCount, inSilo: false);
        client.Services.AddSingleton<IClusterConnectionStatusObserver>(sp => sp.GetRequiredService<ThreadFeedConsumer>());
        return client;
    }
}
