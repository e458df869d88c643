using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using Orleans.Runtime;
using ReHome.Feed;

namespace ReHome.Grains;

/// <summary>
/// One thread-feed relay (see <see cref="IThreadFeedRelayGrain"/>). Placed where it is first called; streams in its
/// silo publish to its <see cref="ThreadFeedRelay"/> directly (<see cref="LocalThreadFeedRelays"/>), other processes
/// call it. Kept alive while its silo runs: its subscriptions live only here, and every gateway would have to
/// register again after an idle deactivation.
/// </summary>
[GrainType("rehome-feed-relay"), PreferLocalPlacement, KeepAlive]
internal sealed class ThreadFeedRelayGrain : Grain, IThreadFeedRelayGrain
{
    private readonly LocalThreadFeedRelays _local;
    private readonly string _key;
    private readonly ThreadFeedRelay _relay;
    private readonly TimeSpan _idleProbe;

    public ThreadFeedRelayGrain(
        LocalThreadFeedRelays local, IOptions<ThreadFeedOptions> options, ThreadFeedMetrics metrics, TimeProvider time, ILogger<ThreadFeedRelay> logger)
    {
        _local = local;
        _key = this.GetPrimaryKeyString();
        _relay = new ThreadFeedRelay(_key, options.Value, metrics, time, logger);
        _idleProbe = options.Value.IdleSubscriberProbe;
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _local.Add(_key, _relay);
        // The relay is thread-safe and the probe only queues sends, so it need not wait for a turn of its own.
        this.RegisterGrainTimer(
            () => { _relay.ProbeIdle(); return Task.CompletedTask; },
            new GrainTimerCreationOptions(_idleProbe, _idleProbe) { Interleave = true });
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // What is on its way goes with the activation; the gateways notice the new epoch, register again and catch
        // up from the stream grains. Local publishers now call the grain, which activates anew.
        _local.Remove(_key, _relay);
        _relay.Close();
        return Task.CompletedTask;
    }

    public Task Publish(ThreadFeedEntry[] entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        return _relay.TryPublish(entries)
            ? Task.CompletedTask
            : throw new InvalidOperationException($"Thread-feed relay {_key} is closing; retry.");
    }

    public Task<Guid> Subscribe(IThreadFeedSubscriber subscriber, StreamId[] streams) => Task.FromResult(_relay.Subscribe(subscriber, streams));

    public Task<Guid> Replace(IThreadFeedSubscriber subscriber, StreamId[] streams) => Task.FromResult(_relay.Replace(subscriber, streams));

    public Task Unsubscribe(IThreadFeedSubscriber subscriber, StreamId[] streams)
    {
        _relay.Unsubscribe(subscriber, streams);
        return Task.CompletedTask;
    }

    public Task<bool> Knows(IThreadFeedSubscriber subscriber, Guid epoch, int streamCount) =>
        Task.FromResult(_relay.Knows(subscriber, epoch, streamCount));

    public Task<int> SubscriberCount(StreamId stream) => Task.FromResult(_relay.SubscriberCount(stream));
}
