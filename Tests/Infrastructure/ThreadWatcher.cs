using System.Collections.Concurrent;
using Orleans.Streams;

namespace ReHome.Tests.Infrastructure;

/// <summary>A client-side subscriber to a thread's Orleans stream that records every event it gets.</summary>
public sealed class ThreadWatcher : IAsyncDisposable
{
    private readonly ConcurrentQueue<ThreadEvent> _events = new();
    private readonly ConcurrentQueue<Exception> _errors = new();
    private StreamSubscriptionHandle<ThreadEvent>? _handle;

    public IReadOnlyCollection<ThreadEvent> Events => _events;

    /// <summary>What the feed reported through <c>OnErrorAsync</c>: events that may not have arrived.</summary>
    public IReadOnlyCollection<Exception> Errors => _errors;

    public static async Task<ThreadWatcher> Subscribe(IClusterClient client, string threadId)
    {
        var watcher = new ThreadWatcher();
        var stream = client.GetStreamProvider(ThreadStreams.ProviderName).GetStream<ThreadEvent>(ThreadStreams.For(threadId));
        watcher._handle = await stream.SubscribeAsync(
            (e, _) =>
            {
                watcher._events.Enqueue(e);
                return Task.CompletedTask;
            },
            error =>
            {
                watcher._errors.Enqueue(error);
                return Task.CompletedTask;
            });
        return watcher;
    }

    /// <summary>Every token received for the stream, as (sequence, token), in arrival order.</summary>
    public List<(long Sequence, string Token)> Tokens(string streamId) =>
        [.. _events.OfType<TokensAppended>().Where(e => e.StreamId == streamId)
            .SelectMany(e => e.Tokens.Select((t, i) => (e.FirstSequence + i, t)))];

    public StreamEnded? Done(string streamId) => _events.OfType<StreamEnded>().FirstOrDefault(e => e.StreamId == streamId);

    public async Task<StreamEnded> WaitForDone(string streamId) =>
        (await Eventually.Get(() => Task.FromResult(Done(streamId)), d => d is not null, because: $"done event of {streamId}"))!;

    public async ValueTask DisposeAsync()
    {
        if (_handle is not null)
        {
            await _handle.UnsubscribeAsync();
        }
    }
}
