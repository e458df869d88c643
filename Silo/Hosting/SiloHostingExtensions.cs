using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.Providers;
using Orleans.Storage;
using ReHome.Feed;
using ReHome.Grains;
using StackExchange.Redis;

namespace ReHome.Silo;

/// <summary>
/// The one place that decides how a silo is built. With no <c>Redis:ConnectionString</c> everything is in
/// memory on localhost (the embedded default); with one, Redis holds membership, grain state and reminders.
/// </summary>
public static class SiloHostingExtensions
{
    private const int LoneSiloDirectoryCacheSize = 1_000;

    /// <param name="configureClustering">False when a test harness supplies membership and endpoints itself.</param>
    /// <param name="openDashboard">The embedded mode on loopback: the dashboard runs, and needs no credential.</param>
    public static IHostApplicationBuilder AddReHomeSilo(this IHostApplicationBuilder builder, bool configureClustering = true, bool openDashboard = false)
    {
        builder.Services.AddOptions<StreamOptions>().BindConfiguration(StreamOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<StreamOptions>, StreamOptionsValidator>();
        builder.Services.AddOptions<SiloSettings>().BindConfiguration(SiloSettings.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        DashboardHosting.AddSettings(builder.Services);

        builder.AddFailoverDefaults();
        // Orleans' reminder settings (MinimumReminderPeriod, RefreshReminderListPeriod, …); tests shorten the first.
        builder.Services.Configure<ReminderOptions>(builder.Configuration.GetSection("Reminders"));

        var streams = builder.Configuration.GetSection(StreamOptions.Section).Get<StreamOptions>() ?? new StreamOptions();
        var settings = builder.Configuration.GetSection(SiloSettings.Section).Get<SiloSettings>() ?? new SiloSettings();
        var redis = ClusterDefaults.RedisConnectionString(builder.Configuration);

        builder.UseOrleans(silo =>
        {
            silo.Services.AddSingleton<IGrainStorageSerializer, OrleansGrainStorageSerializer>();
            AddStorage(silo, redis, streams.TombstoneRetention);
            AddThreadFeeds(silo, streams);
            silo.Services.AddSingleton<StreamHygieneSweep>();
            silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(services => services.GetRequiredService<StreamHygieneSweep>());

            DashboardHosting.AddTo(silo, builder.Configuration, openDashboard);
            if (TracingDefaults.Enabled(builder.Configuration))
            {
                silo.AddActivityPropagation();
            }

            if (configureClustering)
            {
                AddClustering(silo, builder.Configuration, settings, redis);
            }
        });

        return builder;
    }

    /// <summary>
    /// The thread feeds: each stream's events go to a relay grain that pushes them to the subscribed gateways,
    /// batched across threads (see <see cref="ThreadFeedProvider"/>); nothing polls.
    /// </summary>
    private static void AddThreadFeeds(ISiloBuilder silo, StreamOptions streams)
    {
        silo.Services.AddThreadFeeds(streams.QueueCount, inSilo: true);
        silo.Services.Configure<ThreadFeedOptions>(o => o.IdleSubscriberProbe = streams.RelayIdleProbe);
    }

    private static void AddStorage(ISiloBuilder silo, string? redis, TimeSpan tombstoneRetention)
    {
        // Tombstones expire in storage, so they cost no reminder; with no retention, none is written.
        var tombstoneExpiry = tombstoneRetention > TimeSpan.Zero ? tombstoneRetention : TimeSpan.FromSeconds(1);
        if (redis is null)
        {
            silo.AddMemoryGrainStorage(StorageNames.Grains);
            const string tombstoneMemory = StorageNames.Tombstones + "-memory";
            silo.AddMemoryGrainStorage(tombstoneMemory);
            silo.Services.AddKeyedSingleton<IGrainStorage>(StorageNames.Tombstones, (services, _) => new ExpiringGrainStorage(
                services.GetRequiredKeyedService<IGrainStorage>(tombstoneMemory), tombstoneExpiry, services.GetRequiredService<TimeProvider>()));
            silo.UseInMemoryReminderService();
            // In-memory storage lives in grains: the stream grains must write their last state before those go.
            silo.Services.AddSingleton<StreamsStopFirst>();
            silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(services => services.GetRequiredService<StreamsStopFirst>());
            return;
        }

        // One connection for the storages and the reminders (RedisConnection); the options need one to validate.
        RedisConnection.AddTo(silo.Services, redis);
        var options = ConfigurationOptions.Parse(redis);
        silo.AddRedisGrainStorage(StorageNames.Grains, o => o.Configure<RedisConnection>((o, connection) =>
        {
            (o.ConfigurationOptions, o.CreateMultiplexer) = (options, _ => connection.ForProvider());
            // Expired streams must really be gone, not left as empty records.
            o.DeleteStateOnClear = true;
        }));

        silo.AddRedisGrainStorage(StorageNames.Tombstones, o => o.Configure<RedisConnection>((o, connection) =>
        {
            (o.ConfigurationOptions, o.CreateMultiplexer) = (options, _ => connection.ForProvider());
            o.DeleteStateOnClear = true;
            // Redis deletes a tombstone by itself (EXPIRE on each write).
            o.EntryExpiry = tombstoneExpiry;
        }));
        silo.UseRedisReminderService(o => o.ConfigurationOptions = options);
        silo.Services.AddOptions<RedisReminderTableOptions>().Configure<RedisConnection>((o, connection) => o.CreateMultiplexer = _ => connection.ForProvider());
    }

    private static void AddClustering(ISiloBuilder silo, IConfiguration configuration, SiloSettings settings, string? redis)
    {
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = ClusterDefaults.ClusterId(configuration);
            o.ServiceId = ClusterDefaults.ServiceId(configuration);
        });

        if (redis is null)
        {
            silo.UseLocalhostClustering(settings.Port, settings.GatewayPort);
            // A lone silo calls no grain elsewhere, so its directory cache stays empty. Orleans sizes the cache
            // for a million entries, and its size gauge walks every bucket whenever metrics are read: about
            // 4 ms each second once the dashboard reads them, most of an idle embedded gateway's dashboard cost.
            silo.Configure<GrainDirectoryOptions>(o => o.CacheSize = LoneSiloDirectoryCacheSize);
            return;
        }

        silo.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis));
        if (settings.Kubernetes)
        {
            // The pod's name and IP (POD_NAME, POD_IP from the downward API) name and address the silo, and silos
            // whose pods are gone are declared dead at once; see deploy/kubernetes.
            silo.Configure<EndpointOptions>(o => (o.SiloPort, o.GatewayPort) = (settings.Port, settings.GatewayPort));
            silo.UseKubernetesHosting();
            return;
        }

        silo.ConfigureEndpoints(AdvertisedAddress.Resolve(settings.AdvertisedIP), settings.Port, settings.GatewayPort, listenOnAnyHostAddress: true);
    }
}
