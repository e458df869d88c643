using System.Collections.Concurrent;
using Orleans.Runtime;

namespace ReHome.Feed;

/// <summary>
/// Publishes to the thread feeds from any process: to the stream's relay directly when its grain is active in this
/// silo, otherwise through one <see cref="ThreadFeedWriter"/> per relay, which batches the calls of many streams.
/// </summary>
public sealed class ThreadFeedPublisher(IGrainFactory grains, ThreadFeedRelayMap relays, ThreadFeedOptions options, LocalThreadFeedRelays? local)
{
    private readonly ConcurrentDictionary<string, ThreadFeedWriter> _writers = new();

    /// <summary>
    /// Completes when the relay has the events. A stream's publisher must have one publish in flight at a time: its
    /// entries then keep their order whichever way each one goes.
    /// </summary>
    public Task Publish(StreamId stream, ThreadEvent[] events)
    {
        var entry = new ThreadFeedEntry(stream, events);
        var key = relays.KeyFor(stream);
        if (local?.Find(key) is { } here && here.TryPublish([entry]))
        {
            return Task.CompletedTask;
        }

        return _writers.GetOrAdd(key, k => new ThreadFeedWriter(grains.GetGrain<IThreadFeedRelayGrain>(k), options.MaxEntriesPerPublish)).Write(entry);
    }
}
