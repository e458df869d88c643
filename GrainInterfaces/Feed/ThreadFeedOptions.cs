namespace ReHome.Feed;

/// <summary>How the thread feeds behave; the same in silos and clients unless a test says otherwise.</summary>
public sealed class ThreadFeedOptions
{
    /// <summary>Relays the streams are spread over (<c>Streams:QueueCount</c>); silos and clients must agree.</summary>
    public int RelayCount { get; set; } = ThreadStreams.DefaultQueueCount;

    /// <summary>Most entries a producing process sends to one relay in one call; more wait for the next call.</summary>
    public int MaxEntriesPerPublish { get; set; } = 1024;

    /// <summary>Most entries a relay sends a subscriber in one call; more wait for the next call.</summary>
    public int MaxEntriesPerDelivery { get; set; } = 1024;

    /// <summary>
    /// Entries a relay holds for one subscriber while its deliveries are in flight or failing. Past that, the
    /// subscriber's streams are marked lost instead (it catches up on them from the stream grains), so a stalled
    /// gateway costs the relay bounded memory and never delays the others.
    /// </summary>
    public int MaxPendingPerSubscriber { get; set; } = 65_536;

    /// <summary>
    /// Failed deliveries in a row after which a relay drops a subscriber. It finds out at its next check and
    /// subscribes again; a process that is gone, or fails an idle probe (<see cref="IdleSubscriberProbe"/>), is dropped
    /// at its first failure.
    /// </summary>
    public int MaxFailedDeliveries { get; set; } = 3;

    /// <summary>
    /// How often a relay sends an empty delivery to each subscriber it sent nothing since the last time, so that it
    /// finds out about a process that died while its threads were idle (<see cref="ThreadFeedRelay.ProbeIdle"/>):
    /// the probe fails, at the latest after the silo's response timeout, and the relay lets go of its subscriptions.
    /// </summary>
    public TimeSpan IdleSubscriberProbe { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a consuming process asks each relay it subscribed at whether it still holds its subscriptions.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How soon a check that could not reach a relay (its silo just died) is tried again.</summary>
    public TimeSpan CheckRetryInterval { get; set; } = TimeSpan.FromMilliseconds(250);
}
