using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;
using ReHome.Grains;
using ReHome.Producer;
using ReHome.Silo;

namespace ReHome.Tests.Infrastructure;

/// <summary>
/// An in-process cluster of two silos built by the production silo configuration (<see cref="SiloHostingExtensions"/>),
/// with a client that has the thread streams and the producer SDK. Subclasses change settings.
/// </summary>
public class ClusterFixture : IAsyncLifetime
{
    private InProcessTestCluster? _cluster;

    public InProcessTestCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster is not deployed.");

    public IClusterClient Client => Cluster.Client;

    public IStreamProducer Producer => Client.ServiceProvider.GetRequiredService<IStreamProducer>();

    protected virtual short SiloCount => 2;

    /// <summary>Configuration every silo gets, as key/value pairs (<c>Streams:MaxTokenChars</c> and so on).</summary>
    protected virtual Dictionary<string, string?> Settings => [];

    /// <summary>Services of every silo, after the production configuration.</summary>
    protected virtual void ConfigureSiloServices(IServiceCollection services)
    {
    }

    /// <summary>Services of the test's cluster client, after the defaults.</summary>
    protected virtual void ConfigureClientServices(IServiceCollection services)
    {
    }

    public virtual async Task InitializeAsync()
    {
        var settings = Settings;
        var builder = new InProcessTestClusterBuilder(SiloCount);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Configuration.AddInMemoryCollection(settings);
            host.AddReHomeSilo(configureClustering: false);
            ConfigureSiloServices(host.Services);
        });
        builder.ConfigureClient(client => client.AddReHomeStreams());
        builder.ConfigureClientHost(host =>
        {
            host.Services.AddReHomeProducer(o => o.RetryTimeout = TimeSpan.FromSeconds(60));
            ConfigureClientServices(host.Services);
        });

        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public virtual async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.StopAllSilosAsync();
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>Reads a stream's state straight from grain storage, past any activation.</summary>
    public async Task<(bool RecordExists, StreamState State)> ReadStoredStream(string streamId)
    {
        var storage = Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(StorageNames.Grains);
        var state = new GrainState<StreamState>();
        var grainId = Client.GetGrain<IStreamGrain>(streamId).GetGrainId();
        await storage.ReadStateAsync("stream", grainId, state);
        return (state.RecordExists, state.State ?? new StreamState());
    }

    /// <summary>Writes a stream's state straight to grain storage, as a crash or an older release may have left it.</summary>
    public async Task WriteStoredStream(string streamId, StreamState state)
    {
        var storage = Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(StorageNames.Grains);
        var record = new GrainState<StreamState>();
        var grainId = Client.GetGrain<IStreamGrain>(streamId).GetGrainId();
        await storage.ReadStateAsync("stream", grainId, record);
        record.State = state;
        await storage.WriteStateAsync("stream", grainId, record);
    }

    /// <summary>Reads a stream's tombstone straight from grain storage.</summary>
    public async Task<(bool RecordExists, StreamTombstone Tombstone)> ReadStoredTombstone(string streamId)
    {
        var storage = Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(StorageNames.Tombstones);
        var state = new GrainState<StreamTombstone>();
        await storage.ReadStateAsync("tombstone", Client.GetGrain<IStreamGrain>(streamId).GetGrainId(), state);
        return (state.RecordExists, state.State ?? new StreamTombstone());
    }

    /// <summary>A configured thread owned by <paramref name="owner"/>, with a fresh id.</summary>
    public async Task<string> NewThread(string owner = "owner-1", params string[] members)
    {
        var threadId = "t-" + Guid.NewGuid().ToString("N");
        await Client.GetGrain<IThreadGrain>(threadId).Configure(new ThreadAccess("ws-1", "proj-1", owner, members));
        return threadId;
    }

    /// <summary>A started stream on a fresh thread and run.</summary>
    public async Task<(string ThreadId, string RunId, string StreamId, IStreamGrain Grain)> NewStream()
    {
        var threadId = await NewThread();
        var runId = "r-" + Guid.NewGuid().ToString("N");
        var streamId = "s-" + Guid.NewGuid().ToString("N");
        var grain = Client.GetGrain<IStreamGrain>(streamId);
        await grain.Start(threadId, runId);
        return (threadId, runId, streamId, grain);
    }
}

/// <summary>The default settings: the shared cluster for most tests.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
