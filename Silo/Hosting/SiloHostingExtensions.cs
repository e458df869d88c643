using System.Net;
using System.Net.Sockets;
using Orleans.Configuration;
using Orleans.Runtime.Providers;
using Orleans.Storage;
using ReHome.Grains;
using StackExchange.Redis;

namespace ReHome.Silo;

/// <summary>
/// The one place that decides how a silo is built. With no <c>Redis:ConnectionString</c> everything is in
/// memory on localhost (the embedded default); with one, Redis holds membership, grain state, stream
/// subscriptions and reminders.
/// </summary>
public static class SiloHostingExtensions
{
    /// <param name="configureClustering">False when a test harness supplies membership and endpoints itself.</param>
    public static IHostApplicationBuilder AddReHomeSilo(this IHostApplicationBuilder builder, bool configureClustering = true)
    {
        builder.Services.AddOptions<StreamOptions>().BindConfiguration(StreamOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<SiloSettings>().BindConfiguration(SiloSettings.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);

        builder.AddFailoverDefaults();

        var streams = builder.Configuration.GetSection(StreamOptions.Section).Get<StreamOptions>() ?? new StreamOptions();
        var settings = builder.Configuration.GetSection(SiloSettings.Section).Get<SiloSettings>() ?? new SiloSettings();
        var redis = ClusterDefaults.RedisConnectionString(builder.Configuration);

        builder.UseOrleans(silo =>
        {
            silo.Services.AddSingleton<IGrainStorageSerializer, OrleansGrainStorageSerializer>();
            AddStorage(silo, redis);
            silo.AddMemoryStreams(ThreadStreams.ProviderName, s =>
            {
                s.ConfigurePartitioning(streams.QueueCount);
                s.ConfigurePullingAgent(o => o.Configure(p =>
                {
                    p.GetQueueMsgsTimerPeriod = streams.PollingPeriod;
                    p.BatchContainerBatchSize = streams.DeliveryBatchSize;
                }));
            });
            var backoff = new StreamRetryBackoff(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(500));
            silo.Services.AddKeyedSingleton<IQueueReaderBackoffProvider>(ThreadStreams.ProviderName, backoff);
            silo.Services.AddKeyedSingleton<IMessageDeliveryBackoffProvider>(ThreadStreams.ProviderName, backoff);

            if (configureClustering)
            {
                AddClustering(silo, builder.Configuration, settings, redis);
            }
        });

        return builder;
    }

    private static void AddStorage(ISiloBuilder silo, string? redis)
    {
        if (redis is null)
        {
            silo.AddMemoryGrainStorage(StorageNames.Grains);
            silo.AddMemoryGrainStorage(StorageNames.PubSub);
            silo.UseInMemoryReminderService();
            return;
        }

        var options = ConfigurationOptions.Parse(redis);
        // While Redis is unreachable, fail writes at once rather than queue them until a timeout: a start or end
        // then gets a clear storage_unavailable in milliseconds instead of a client-side timeout, and the
        // write-behind checkpoints simply retry.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        foreach (var name in new[] { StorageNames.Grains, StorageNames.PubSub })
        {
            silo.AddRedisGrainStorage(name, o =>
            {
                o.ConfigurationOptions = options;
                // Expired streams must really be gone, not left as empty records.
                o.DeleteStateOnClear = true;
            });
        }

        silo.UseRedisReminderService(o => o.ConfigurationOptions = options);
    }

    private static void AddClustering(ISiloBuilder silo, IConfiguration configuration, SiloSettings settings, string? redis)
    {
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = configuration["Orleans:ClusterId"] ?? ClusterDefaults.ClusterId;
            o.ServiceId = configuration["Orleans:ServiceId"] ?? ClusterDefaults.ServiceId;
        });

        if (redis is null)
        {
            silo.UseLocalhostClustering(settings.Port, settings.GatewayPort);
            return;
        }

        silo.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis));
        silo.ConfigureEndpoints(AdvertisedAddress(settings.AdvertisedIP), settings.Port, settings.GatewayPort, listenOnAnyHostAddress: true);
    }

    private static IPAddress AdvertisedAddress(string? configured) => configured switch
    {
        null or "" => IPAddress.Loopback,
        "auto" => Dns.GetHostAddresses(Dns.GetHostName()).First(a => a.AddressFamily == AddressFamily.InterNetwork),
        _ => IPAddress.Parse(configured),
    };
}
