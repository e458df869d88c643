using Orleans.Runtime;

namespace ReHome;

/// <summary>
/// Where a thread's events are published: one Orleans stream per thread, in the
/// <c>agent.thread</c> namespace (the old <c>agent.thread.{id}</c> channel), keyed by thread id.
/// Silos and every client register the thread feeds' provider under <see cref="ProviderName"/>
/// (<see cref="Feed.ThreadFeedProvider"/>).
/// </summary>
public static class ThreadStreams
{
    public const string ProviderName = "rehome";
    public const string Namespace = "agent.thread";

    /// <summary>Thread-feed relays unless <c>Streams:QueueCount</c> says otherwise; silos and clients must agree.</summary>
    public const int DefaultQueueCount = 8;

    /// <summary>The most thread-feed relays <c>Streams:QueueCount</c> may name.</summary>
    public const int MaxQueueCount = 1024;

    public static StreamId For(string threadId) => StreamId.Create(Namespace, threadId);
}
