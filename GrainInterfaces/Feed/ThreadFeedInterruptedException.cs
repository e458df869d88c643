namespace ReHome.Feed;

/// <summary>
/// Given to a stream's observers (<see cref="Orleans.Streams.IAsyncObserver{T}.OnErrorAsync"/>) when events of the
/// stream may not have reached this process: a relay could not deliver them, or had lost this process's
/// subscriptions. The subscription goes on; the observer catches up from the stream's source.
/// </summary>
public sealed class ThreadFeedInterruptedException(string? relay)
    : Exception(relay is null
        ? "Events of this stream could not be delivered to this process; catch up from the stream grains."
        : $"Thread-feed relay {relay} had lost this process's subscriptions; catch up from the stream grains.");
