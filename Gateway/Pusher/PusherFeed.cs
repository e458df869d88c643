using System.Collections.Concurrent;
using ReHome.Gateway.Fanout;

namespace ReHome.Gateway.Pusher;

/// <summary>
/// The Pusher connections that joined each thread, fed from the fan-out's tap: each batch is encoded once as the
/// thread's channel frames and queued on every connection of the thread.
/// </summary>
internal sealed class PusherFeed : IThreadFeedTap
{
    private readonly ConcurrentDictionary<string, IThreadSink[]> _sinks = new();
    private readonly Lock _lock = new();

    public void Add(string threadId, IThreadSink sink)
    {
        lock (_lock)
        {
            _sinks[threadId] = _sinks.TryGetValue(threadId, out var current) ? [.. current, sink] : [sink];
        }
    }

    public void Remove(string threadId, IThreadSink sink)
    {
        lock (_lock)
        {
            if (_sinks.TryGetValue(threadId, out var current))
            {
                var rest = current.Where(s => !ReferenceEquals(s, sink)).ToArray();
                if (rest.Length == 0)
                {
                    _sinks.TryRemove(threadId, out _);
                }
                else
                {
                    _sinks[threadId] = rest;
                }
            }
        }
    }

    public void Publish(string threadId, ReadOnlySpan<TokenMessage> messages)
    {
        if (messages.IsEmpty || !_sinks.TryGetValue(threadId, out var sinks))
        {
            return;
        }

        var frames = PusherFrames.Tokens(ThreadChannelName.For(threadId), messages);
        foreach (var sink in sinks)
        {
            sink.Deliver(frames);
        }
    }
}
