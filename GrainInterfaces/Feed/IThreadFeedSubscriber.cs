namespace ReHome.Feed;

/// <summary>A process that consumes thread feeds (a gateway), as the relays reach it: one object per process.</summary>
[Alias("rehome.IThreadFeedSubscriber")]
public interface IThreadFeedSubscriber : IGrainObserver
{
    [Alias("Deliver")]
    Task Deliver(ThreadFeedDelivery delivery);
}
