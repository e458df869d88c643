using Orleans.Configuration;
using Orleans.Hosting;
using ReHome.Feed;

namespace ReHome;

public static class ClientBuilderExtensions
{
    /// <summary>
    /// Registers the thread streams' provider on a cluster client, under the silos' name and with their queue count.
    /// Without it a client can call grains but not subscribe to threads.
    /// </summary>
    public static IClientBuilder AddReHomeStreams(this IClientBuilder client, int queueCount = ThreadStreams.DefaultQueueCount)
    {
        client.AddPersistentStreams(ThreadStreams.ProviderName, ThreadFeedAdapterFactory.Create,
            s => s.Configure<HashRingStreamQueueMapperOptions>(o => o.Configure(q => q.TotalQueueCount = queueCount)));
        return client;
    }
}
