namespace ReHome.Gateway.Pusher;

/// <summary>
/// The Pusher endpoint's only door into the thread fan-out: join and leave a thread for one sink. Behind it, one
/// Orleans subscription per thread per gateway serves hub and Pusher clients alike, with the same dedupe and gap fill.
/// </summary>
internal interface IThreadSubscriptions
{
    /// <summary>Subscribes (or shares the subscription) and routes the thread's messages to <paramref name="sink"/> from now on.</summary>
    Task Join(string threadId, IThreadSink sink);

    /// <summary>Stops routing to <paramref name="sink"/> and releases its share of the subscription.</summary>
    Task Leave(string threadId, IThreadSink sink);
}
