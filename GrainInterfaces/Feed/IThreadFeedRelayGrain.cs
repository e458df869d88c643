using Orleans.Concurrency;
using Orleans.Runtime;

namespace ReHome.Feed;

/// <summary>
/// One relay of the thread feeds, keyed <c>{provider}/{relay number}</c>: the threads whose stream ids map to it
/// (<see cref="ThreadFeedRelayMap"/>) publish to it, and it pushes each entry to the processes subscribed to that
/// stream (<see cref="ThreadFeedRelay"/>). Subscriptions live in the activation's memory, tagged with its epoch;
/// subscribers re-register when the epoch they know is gone (<see cref="ThreadFeedConsumer"/>).
/// </summary>
[Alias("rehome.IThreadFeedRelayGrain")]
public interface IThreadFeedRelayGrain : IGrainWithStringKey
{
    /// <summary>Relays the entries to their streams' subscribers, in order; refused while the relay is closing.</summary>
    [Alias("Publish")]
    Task Publish(ThreadFeedEntry[] entries);

    /// <summary>Adds the streams to the subscriber's; returns the activation's epoch.</summary>
    [Alias("Subscribe")]
    Task<Guid> Subscribe(IThreadFeedSubscriber subscriber, StreamId[] streams);

    /// <summary>Makes the subscriber's streams exactly these (none forgets it); returns the activation's epoch.</summary>
    [Alias("Replace")]
    Task<Guid> Replace(IThreadFeedSubscriber subscriber, StreamId[] streams);

    /// <summary>Takes the streams out of the subscriber's; one with none left is forgotten.</summary>
    [Alias("Unsubscribe")]
    Task Unsubscribe(IThreadFeedSubscriber subscriber, StreamId[] streams);

    /// <summary>
    /// True when this activation has <paramref name="epoch"/> and holds <paramref name="streamCount"/> streams of
    /// the subscriber; false when it was activated since, dropped the subscriber after failed deliveries, or holds
    /// another number of its streams (an unsubscribe that failed, say).
    /// </summary>
    [Alias("Knows"), AlwaysInterleave]
    Task<bool> Knows(IThreadFeedSubscriber subscriber, Guid epoch, int streamCount);

    /// <summary>How many processes this relay delivers the stream to.</summary>
    [Alias("SubscriberCount"), AlwaysInterleave]
    Task<int> SubscriberCount(StreamId stream);
}
