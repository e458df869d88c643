using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Orleans.Streams;

namespace ReHome.Feed;

/// <summary>One feed entry as the pulling agent caches and delivers it, numbered by its queue.</summary>
[GenerateSerializer, Immutable, Alias("rehome.feed.batch")]
public sealed class ThreadFeedBatch : IBatchContainer
{
    public ThreadFeedBatch(ThreadFeedEntry entry, EventSequenceTokenV2 sequenceToken)
    {
        Entry = entry;
        Token = sequenceToken;
    }

    [Id(0)] public ThreadFeedEntry Entry { get; }

    [Id(1)] public EventSequenceTokenV2 Token { get; }

    public StreamId StreamId => Entry.StreamId;

    public StreamSequenceToken SequenceToken => Token;

    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>()
    {
        var events = Entry.Events;
        for (var i = 0; i < events.Length; i++)
        {
            if (events[i] is T item)
            {
                yield return Tuple.Create(item, (StreamSequenceToken)Token.CreateSequenceTokenForEvent(i));
            }
        }
    }

    public bool ImportRequestContext()
    {
        if (Entry.RequestContext is not { } context)
        {
            return false;
        }

        RequestContextExtensions.Import(context);
        return true;
    }
}
