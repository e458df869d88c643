using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Streams;

namespace ReHome.Feed;

/// <summary>Registers the thread feeds in a silo's or a client's services; both must use the same relay count.</summary>
public static class ThreadFeedHosting
{
    public static IServiceCollection AddThreadFeeds(this IServiceCollection services, int relayCount, bool inSilo)
    {
        services.AddOptions<ThreadFeedOptions>().Configure(o => o.RelayCount = relayCount);
        if (inSilo)
        {
            services.AddSingleton<LocalThreadFeedRelays>();
        }

        services.AddSingleton<ThreadFeedMetrics>();
        services.AddSingleton(sp => new ThreadFeedRelayMap(ThreadStreams.ProviderName, Options(sp).RelayCount));
        services.AddSingleton(sp => new ThreadFeedPublisher(
            sp.GetRequiredService<IGrainFactory>(), sp.GetRequiredService<ThreadFeedRelayMap>(), Options(sp), sp.GetService<LocalThreadFeedRelays>()));
        services.AddSingleton(sp => new ThreadFeedConsumer(
            sp.GetRequiredService<IGrainFactory>(), sp.GetRequiredService<ThreadFeedRelayMap>(), Options(sp),
            sp.GetService<TimeProvider>() ?? TimeProvider.System, sp.GetRequiredService<ILogger<ThreadFeedConsumer>>()));
        services.AddSingleton(sp => new ThreadFeedProvider(
            ThreadStreams.ProviderName, sp.GetRequiredService<ThreadFeedPublisher>(), sp.GetRequiredService<ThreadFeedConsumer>()));
        services.AddKeyedSingleton<IStreamProvider>(ThreadStreams.ProviderName, (sp, _) => sp.GetRequiredService<ThreadFeedProvider>());
        return services;
    }

    private static ThreadFeedOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<ThreadFeedOptions>>().Value;
}
