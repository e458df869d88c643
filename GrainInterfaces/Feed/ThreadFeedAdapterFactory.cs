using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Orleans.Streams;

namespace ReHome.Feed;

/// <summary>
/// The thread feeds' queue adapter: Orleans persistent streams (pub-sub, pulling agents, per-subscriber delivery)
/// over in-memory queue grains that a reader waits on (<see cref="IThreadFeedQueueGrain"/>), in place of Orleans'
/// memory streams, whose agents poll their queue grains on a timer. Silos and clients register it under the same
/// provider name and queue count (<see cref="ClientBuilderExtensions.AddReHomeStreams"/>).
/// </summary>
public sealed class ThreadFeedAdapterFactory : IQueueAdapterFactory, IQueueAdapter, IQueueAdapterCache
{
    private readonly IGrainFactory _grains;
    private readonly ThreadFeedOptions _options;
    private readonly LocalThreadFeedQueues? _local;
    private readonly HashRingBasedStreamQueueMapper _mapper;
    private readonly ConcurrentDictionary<QueueId, ThreadFeedWriter> _writers = new();
    private readonly ConcurrentDictionary<QueueId, string> _grainKeys = new();
    private readonly IStreamFailureHandler _failures = new NoOpStreamDeliveryFailureHandler();

    private ThreadFeedAdapterFactory(
        string name, IGrainFactory grains, ThreadFeedOptions options, HashRingStreamQueueMapperOptions queues, LocalThreadFeedQueues? local)
    {
        Name = name;
        _grains = grains;
        _options = options;
        _local = local;
        _mapper = new HashRingBasedStreamQueueMapper(queues, name);
    }

    public string Name { get; }

    public bool IsRewindable => false;

    public StreamProviderDirection Direction => StreamProviderDirection.ReadWrite;

    /// <summary>
    /// The factory Orleans calls for the named provider (<c>AddPersistentStreams</c>). A silo registers
    /// <see cref="LocalThreadFeedQueues"/>; a client has none and always calls the queue grains.
    /// </summary>
    public static ThreadFeedAdapterFactory Create(IServiceProvider services, string name) => new(
        name,
        services.GetRequiredService<IGrainFactory>(),
        services.GetOptionsByName<ThreadFeedOptions>(name),
        services.GetOptionsByName<HashRingStreamQueueMapperOptions>(name),
        services.GetService<LocalThreadFeedQueues>());

    public Task<IQueueAdapter> CreateAdapter() => Task.FromResult<IQueueAdapter>(this);

    public IQueueAdapterCache GetQueueAdapterCache() => this;

    /// <summary>A cache per queue, indexed by stream (see <see cref="ThreadFeedCache"/>).</summary>
    public IQueueCache CreateQueueCache(QueueId queueId) => new ThreadFeedCache(_options.CacheSize);

    public IStreamQueueMapper GetStreamQueueMapper() => _mapper;

    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId) => Task.FromResult(_failures);

    public IQueueAdapterReceiver CreateReceiver(QueueId queueId) =>
        new ThreadFeedReceiver(Queue(queueId), _local is null ? null : () => _local.Find(GrainKey(queueId)), _options.ReadWait);

    public Task QueueMessageBatchAsync<T>(StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext)
    {
        if (token is not null)
        {
            throw new ArgumentException("Thread feeds number events themselves; a sequence token cannot be given.", nameof(token));
        }

        var items = events is ICollection<T> collection ? new object[collection.Count] : null;
        if (items is not null)
        {
            var i = 0;
            foreach (var item in events)
            {
                items[i++] = item!;
            }
        }
        else
        {
            items = [.. events.Select(e => (object)e!)];
        }

        var entry = new ThreadFeedEntry(streamId, items, requestContext is { Count: > 0 } ? requestContext : null);
        var queueId = _mapper.GetQueueForStream(streamId);
        try
        {
            // A stream's publisher has one publish in flight at a time, so its entries keep their order whichever
            // way each one goes.
            if (_local?.Find(GrainKey(queueId)) is { } here && here.TryEnqueue([entry]))
            {
                return Task.CompletedTask;
            }
        }
        catch (InvalidOperationException full)
        {
            return Task.FromException(full);
        }

        return _writers.GetOrAdd(queueId, id => new ThreadFeedWriter(Queue(id), _options.MaxEntriesPerEnqueue)).Write(entry);
    }

    /// <summary>The grain of a queue: the provider's name and the queue's number, the same in every process.</summary>
    private IThreadFeedQueueGrain Queue(QueueId queueId) => _grains.GetGrain<IThreadFeedQueueGrain>(GrainKey(queueId));

    private string GrainKey(QueueId queueId) => _grainKeys.GetOrAdd(queueId, id => $"{Name}/{id.GetNumericId()}");
}
