using Microsoft.Extensions.DependencyInjection;
using ReHome.Feed;

namespace ReHome.Tests.Infrastructure;

/// <summary>What the thread feeds' relays hold, asked through a cluster client.</summary>
public static class ThreadFeeds
{
    /// <summary>The processes a thread's relay delivers the thread's feed to (a gateway counts once).</summary>
    public static Task<int> SubscriberCount(IClusterClient client, string threadId) =>
        Relay(client, threadId).SubscriberCount(ThreadStreams.For(threadId));

    /// <summary>The relay that carries the thread's feed.</summary>
    public static IThreadFeedRelayGrain Relay(IClusterClient client, string threadId) =>
        client.GetGrain<IThreadFeedRelayGrain>(client.ServiceProvider.GetRequiredService<ThreadFeedRelayMap>().KeyFor(ThreadStreams.For(threadId)));

    /// <summary>
    /// The thread's relay forgets the process behind <paramref name="process"/>, as it does one whose deliveries keep
    /// failing: the thread's next events never reach it, until its feed checks its relays again.
    /// </summary>
    public static Task Forget(IServiceProvider process, string threadId) =>
        Relay(process.GetRequiredService<IClusterClient>(), threadId)
            .Unsubscribe(process.GetRequiredService<ThreadFeedConsumer>().Self, [ThreadStreams.For(threadId)]);
}
