using Orleans.Hosting;

namespace ReHome;

public static class ClientBuilderExtensions
{
    /// <summary>
    /// Registers the thread streams' provider on a cluster client, under the silos' name and with their queue count.
    /// Without it a client can call grains but not subscribe to threads.
    /// </summary>
    public static IClientBuilder AddReHomeStreams(this IClientBuilder client, int queueCount = ThreadStreams.DefaultQueueCount)
    {
        client.AddMemoryStreams(ThreadStreams.ProviderName, s => s.ConfigurePartitioning(queueCount));
        return client;
    }
}
