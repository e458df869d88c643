using Orleans.Runtime;
using Orleans.Streams;

namespace ReHome.Feed;

/// <summary>
/// The thread feeds as an Orleans stream provider, registered under <see cref="ThreadStreams.ProviderName"/> in silos
/// and clients: grains publish with <c>GetStream(…).OnNextAsync</c>, gateways subscribe with <c>SubscribeAsync</c>.
/// Under it, each stream's events go to one relay grain, which pushes them to the subscribed processes, batched
/// across threads per process (<see cref="ThreadFeedRelay"/>), instead of Orleans' persistent streams, whose pulling
/// agents make one delivery call per stream per subscriber. Not rewindable: a subscriber catches up from the
/// stream grains, which number and keep every token.
/// </summary>
public sealed class ThreadFeedProvider(string name, ThreadFeedPublisher publisher, ThreadFeedConsumer consumer) : IStreamProvider
{
    public string Name => name;

    public bool IsRewindable => false;

    internal ThreadFeedPublisher Publisher => publisher;

    internal ThreadFeedConsumer Consumer => consumer;

    public IAsyncStream<T> GetStream<T>(StreamId streamId) => new ThreadFeedStream<T>(this, streamId);
}

/// <summary>One thread's feed as an <see cref="IAsyncStream{T}"/>; what Orleans' rewind and batch APIs would need is refused.</summary>
internal sealed class ThreadFeedStream<T>(ThreadFeedProvider provider, StreamId streamId) : IAsyncStream<T>
{
    public bool IsRewindable => false;

    public string ProviderName => provider.Name;

    public StreamId StreamId => streamId;

    public Task OnNextAsync(T item, StreamSequenceToken? token = null)
    {
        NoToken(token);
        return provider.Publisher.Publish(streamId, [AsEvent(item)]);
    }

    public Task OnNextBatchAsync(IEnumerable<T> batch, StreamSequenceToken? token = null)
    {
        NoToken(token);
        return provider.Publisher.Publish(streamId, [.. batch.Select(AsEvent)]);
    }

    public Task OnCompletedAsync() =>
        throw new NotSupportedException("Thread feeds carry events only; a response stream's end is its StreamEnded event.");

    public Task OnErrorAsync(Exception ex) =>
        throw new NotSupportedException("Thread feeds carry events only; a response stream's failure is its StreamEnded event.");

    public Task<StreamSubscriptionHandle<T>> SubscribeAsync(IAsyncObserver<T> observer) => Subscribe(observer);

    public Task<StreamSubscriptionHandle<T>> SubscribeAsync(IAsyncObserver<T> observer, StreamSequenceToken? token, string? filterData = null)
    {
        NoToken(token);
        if (filterData is not null)
        {
            throw new NotSupportedException("Thread feeds do not filter; every subscriber gets every event of the thread.");
        }

        return Subscribe(observer);
    }

    public Task<StreamSubscriptionHandle<T>> SubscribeAsync(IAsyncBatchObserver<T> observer) => throw BatchObserversRefused();

    public Task<StreamSubscriptionHandle<T>> SubscribeAsync(IAsyncBatchObserver<T> observer, StreamSequenceToken? token) => throw BatchObserversRefused();

    public Task<IList<StreamSubscriptionHandle<T>>> GetAllSubscriptionHandles() =>
        Task.FromResult<IList<StreamSubscriptionHandle<T>>>(
            [.. provider.Consumer.SubscriptionsOf(streamId).Select(s => new ThreadFeedSubscriptionHandle<T>(provider.Name, s))]);

    public bool Equals(IAsyncStream<T>? other) => other is not null && other.ProviderName == ProviderName && other.StreamId == StreamId;

    public override bool Equals(object? obj) => obj is IAsyncStream<T> other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(ProviderName, StreamId);

    public int CompareTo(IAsyncStream<T>? other) => other is null ? 1 : StreamId.CompareTo(other.StreamId);

    private async Task<StreamSubscriptionHandle<T>> Subscribe(IAsyncObserver<T> observer) =>
        new ThreadFeedSubscriptionHandle<T>(provider.Name, await provider.Consumer.Subscribe(streamId, Subscription.Observe(observer)));

    private static ThreadEvent AsEvent(T item) =>
        item as ThreadEvent ?? throw new ArgumentException(
            $"Thread feeds carry ThreadEvents; got {(item is null ? "null" : item.GetType().Name)}.", nameof(item));

    private static void NoToken(StreamSequenceToken? token)
    {
        if (token is not null)
        {
            throw new NotSupportedException("Thread feeds are not rewindable: catch up from the stream grains instead of a sequence token.");
        }
    }

    private static NotSupportedException BatchObserversRefused() =>
        new("Thread feeds deliver to IAsyncObserver<T>; batch observers are not supported.");
}

/// <summary>A handle on one subscription of this process; it is not meant to cross processes.</summary>
internal sealed class ThreadFeedSubscriptionHandle<T>(string providerName, Subscription subscription) : StreamSubscriptionHandle<T>
{
    public override StreamId StreamId => subscription.StreamId;

    public override string ProviderName => providerName;

    public override Guid HandleId => subscription.Id;

    public override Task UnsubscribeAsync() => subscription.Consumer.Unsubscribe(subscription);

    public override Task<StreamSubscriptionHandle<T>> ResumeAsync(IAsyncObserver<T> observer, StreamSequenceToken? token = null)
    {
        if (token is not null)
        {
            throw new NotSupportedException("Thread feeds are not rewindable: catch up from the stream grains instead of a sequence token.");
        }

        subscription.Current = Subscription.Observe(observer);
        return Task.FromResult<StreamSubscriptionHandle<T>>(this);
    }

    public override Task<StreamSubscriptionHandle<T>> ResumeAsync(IAsyncBatchObserver<T> observer, StreamSequenceToken? token = null) =>
        throw new NotSupportedException("Thread feeds deliver to IAsyncObserver<T>; batch observers are not supported.");

    public override bool Equals(StreamSubscriptionHandle<T>? other) => other is not null && other.HandleId == HandleId;

    public override bool Equals(object? obj) => obj is StreamSubscriptionHandle<T> other && Equals(other);

    public override int GetHashCode() => HandleId.GetHashCode();
}

/// <summary>One subscription of this process to a stream, and the observer it feeds.</summary>
internal sealed class Subscription(ThreadFeedConsumer consumer, StreamId streamId, Guid id, Subscription.Observer observer)
{
    /// <summary>An observer with its item type erased: events of other types are skipped, as Orleans' streams do.</summary>
    public sealed record Observer(Func<object, Task> OnNext, Func<Exception, Task> OnError);

    public ThreadFeedConsumer Consumer => consumer;

    public StreamId StreamId => streamId;

    public Guid Id => id;

    public Observer Current { get; set; } = observer;

    public static Observer Observe<T>(IAsyncObserver<T> observer) =>
        new(item => item is T typed ? observer.OnNextAsync(typed) : Task.CompletedTask, observer.OnErrorAsync);
}
