using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace ReHome.Feed;

/// <summary>
/// A process's end of the thread feeds (a gateway's, or a backend's that subscribes): every subscription of this
/// process to a thread's stream, registered once per stream at the stream's relay, and the one
/// <see cref="IThreadFeedSubscriber"/> the relays deliver to. A delivery carries entries of many streams; each goes to
/// the observers of its stream, in order.
/// </summary>
/// <remarks>
/// The relays keep subscriptions in memory, so a relay that moved to another silo (its silo died or stopped) or that
/// dropped this process (its deliveries failed) no longer has them. This process is the source of truth: every
/// <see cref="ThreadFeedOptions.CheckInterval"/>, and at once when the cluster connection changes, it asks each relay
/// it subscribed at whether it still knows it, registers its streams again where not, and reports the streams there
/// as interrupted (<see cref="IAsyncObserver{T}.OnErrorAsync"/>), so their observers catch up on what was missed.
/// </remarks>
public sealed partial class ThreadFeedConsumer : IThreadFeedSubscriber, IClusterConnectionStatusObserver, IAsyncDisposable
{
    private readonly IGrainFactory _grains;
    private readonly ThreadFeedRelayMap _map;
    private readonly ThreadFeedOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Relay> _relays = [];
    private readonly CancellationTokenSource _stopping = new();
    private Dictionary<StreamId, Subscription[]> _subscriptions = [];
    private IThreadFeedSubscriber? _self;
    private TaskCompletionSource _checkNow = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _checking;

    public ThreadFeedConsumer(IGrainFactory grains, ThreadFeedRelayMap map, ThreadFeedOptions options, TimeProvider time, ILogger<ThreadFeedConsumer> logger)
    {
        _grains = grains;
        _map = map;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>How the relays reach this process; created with the first subscription.</summary>
    public IThreadFeedSubscriber Self
    {
        get
        {
            lock (_lock)
            {
                return _self ??= _grains.CreateObjectReference<IThreadFeedSubscriber>(this);
            }
        }
    }

    internal async Task<Subscription> Subscribe(StreamId stream, Subscription.Observer observer)
    {
        var subscription = new Subscription(this, stream, Guid.NewGuid(), observer);
        var relay = RelayOf(stream);
        await relay.Gate.WaitAsync();
        try
        {
            var first = Add(subscription);
            if (first)
            {
                try
                {
                    await Register(relay, [stream]);
                }
                catch
                {
                    Remove(subscription);
                    ForgetEpoch(relay);
                    throw;
                }

                relay.Streams.Add(stream);
            }
        }
        finally
        {
            relay.Gate.Release();
        }

        StartChecking();
        return subscription;
    }

    internal async Task Unsubscribe(Subscription subscription)
    {
        var relay = RelayOf(subscription.StreamId);
        await relay.Gate.WaitAsync();
        try
        {
            if (Remove(subscription) && relay.Streams.Remove(subscription.StreamId))
            {
                try
                {
                    await _grains.GetGrain<IThreadFeedRelayGrain>(relay.Key).Unsubscribe(Self, [subscription.StreamId]);
                }
                catch
                {
                    ForgetEpoch(relay);
                    throw;
                }
            }
        }
        finally
        {
            relay.Gate.Release();
        }
    }

    internal Subscription[] SubscriptionsOf(StreamId stream) => Volatile.Read(ref _subscriptions).GetValueOrDefault(stream) ?? [];

    /// <summary>Checks every relay now, rather than at the next interval.</summary>
    public void CheckSoon() => Volatile.Read(ref _checkNow).TrySetResult();

    /// <summary>
    /// Asks each relay this process subscribed at whether it still has its subscriptions, and registers them again
    /// where not. False when a relay could not be reached.
    /// </summary>
    public async Task<bool> Check()
    {
        Relay[] relays;
        lock (_lock)
        {
            relays = [.. _relays.Values];
        }

        var results = await Task.WhenAll(relays.Select(Check));
        return results.All(ok => ok);
    }

    private async Task<bool> Check(Relay relay)
    {
        StreamId[] lost;
        await relay.Gate.WaitAsync();
        try
        {
            var grain = _grains.GetGrain<IThreadFeedRelayGrain>(relay.Key);
            if (relay.Streams.Count == 0)
            {
                // No epoch: the last call here failed and may have left the relay holding a stream this process
                // let go of (an unsubscribe that never arrived). The relay would deliver that thread for good.
                if (relay.Epoch is null)
                {
                    relay.Epoch = await grain.Replace(Self, []);
                }

                return true;
            }

            if (relay.Epoch is { } epoch && await grain.Knows(Self, epoch, relay.Streams.Count))
            {
                return true;
            }

            lost = [.. relay.Streams];
            // Forgotten first: a Replace that lands but whose answer is lost leaves the relay holding exactly this set,
            // and the next check must not take that for "it never dropped us" and skip the interruption.
            ForgetEpoch(relay);
            relay.Epoch = await grain.Replace(Self, lost);
        }
        catch (Exception ex)
        {
            LogCheckFailed(ex, relay.Key);
            return false;
        }
        finally
        {
            relay.Gate.Release();
        }

        LogRegisteredAgain(relay.Key, lost.Length);
        await Interrupted(lost, new ThreadFeedInterruptedException(relay.Key));
        return true;
    }

    /// <summary>Checks one relay until it answers: it told this process that its activation is going away.</summary>
    private async Task RegisterAgain(string key)
    {
        Relay? relay;
        lock (_lock)
        {
            relay = _relays.GetValueOrDefault(key);
        }

        while (relay is not null && !_stopping.IsCancellationRequested && !await Check(relay))
        {
            await Task.Delay(_options.CheckRetryInterval, _time);
        }
    }

    /// <summary>
    /// A call that failed may or may not have changed what the relay holds. The check compares only the epoch and the
    /// number of streams, which such a call can leave equal to this process's over other streams (the relay had
    /// dropped this process, then took a subscribe whose unsubscribe failed), so the next check registers the exact
    /// set again instead of asking.
    /// </summary>
    private static void ForgetEpoch(Relay relay) => relay.Epoch = null;

    /// <summary>
    /// Registers the streams. When the relay's epoch changed meanwhile (a new activation), or none is known (a call
    /// failed and may have left the relay holding another set: <see cref="ForgetEpoch"/>), registers the exact set
    /// instead, and interrupts the ones held before: the relay may have missed their entries.
    /// </summary>
    private async Task Register(Relay relay, StreamId[] streams)
    {
        var grain = _grains.GetGrain<IThreadFeedRelayGrain>(relay.Key);
        var epoch = await grain.Subscribe(Self, streams);
        if (relay.Epoch != epoch && relay.Streams.Count > 0)
        {
            StreamId[] before = [.. relay.Streams];
            relay.Epoch = await grain.Replace(Self, [.. before, .. streams]);
            LogRegisteredAgain(relay.Key, before.Length);
            _ = Interrupted(before, new ThreadFeedInterruptedException(relay.Key));
            return;
        }

        relay.Epoch = epoch;
    }

    public async Task Deliver(ThreadFeedDelivery delivery)
    {
        if (delivery.Lost.Length > 0)
        {
            await Interrupted(delivery.Lost, new ThreadFeedInterruptedException(null));
        }

        var subscriptions = Volatile.Read(ref _subscriptions);
        foreach (var entry in delivery.Entries)
        {
            if (!subscriptions.TryGetValue(entry.StreamId, out var observers))
            {
                continue;
            }

            foreach (var subscription in observers)
            {
                foreach (var item in entry.Events)
                {
                    try
                    {
                        var next = subscription.Current.OnNext(item);
                        if (!next.IsCompletedSuccessfully)
                        {
                            await next;
                        }
                    }
                    catch (Exception ex)
                    {
                        LogObserverFailed(ex, entry.StreamId);
                    }
                }
            }
        }

        if (delivery.ClosingRelay is { } closing)
        {
            // Not awaited: deliveries from every relay wait behind this one.
            _ = RegisterAgain(closing);
        }
    }

    private async Task Interrupted(IEnumerable<StreamId> streams, Exception reason)
    {
        var subscriptions = Volatile.Read(ref _subscriptions);
        foreach (var stream in streams)
        {
            foreach (var subscription in subscriptions.GetValueOrDefault(stream) ?? [])
            {
                try
                {
                    await subscription.Current.OnError(reason);
                }
                catch (Exception ex)
                {
                    LogObserverFailed(ex, stream);
                }
            }
        }
    }

    /// <summary>True when the subscription is the stream's first here.</summary>
    private bool Add(Subscription subscription)
    {
        lock (_lock)
        {
            var copy = new Dictionary<StreamId, Subscription[]>(_subscriptions);
            var existing = copy.GetValueOrDefault(subscription.StreamId) ?? [];
            copy[subscription.StreamId] = [.. existing, subscription];
            _subscriptions = copy;
            return existing.Length == 0;
        }
    }

    /// <summary>True when it was the stream's last here.</summary>
    private bool Remove(Subscription subscription)
    {
        lock (_lock)
        {
            if (!_subscriptions.TryGetValue(subscription.StreamId, out var existing) || !existing.Contains(subscription))
            {
                return false;
            }

            var copy = new Dictionary<StreamId, Subscription[]>(_subscriptions);
            var left = existing.Where(s => s != subscription).ToArray();
            if (left.Length == 0)
            {
                copy.Remove(subscription.StreamId);
            }
            else
            {
                copy[subscription.StreamId] = left;
            }

            _subscriptions = copy;
            return left.Length == 0;
        }
    }

    private Relay RelayOf(StreamId stream)
    {
        var key = _map.KeyFor(stream);
        lock (_lock)
        {
            if (!_relays.TryGetValue(key, out var relay))
            {
                relay = new Relay(key);
                _relays.Add(key, relay);
            }

            return relay;
        }
    }

    private void StartChecking()
    {
        lock (_lock)
        {
            _checking ??= CheckLoop(_stopping.Token);
        }
    }

    private async Task CheckLoop(CancellationToken stopping)
    {
        var ok = true;
        while (!stopping.IsCancellationRequested)
        {
            var now = Volatile.Read(ref _checkNow);
            try
            {
                await now.Task.WaitAsync(ok ? _options.CheckInterval : _options.CheckRetryInterval, _time, stopping);
            }
            catch (TimeoutException)
            {
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (now.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _checkNow, new(TaskCreationOptions.RunContinuationsAsynchronously), now);
            }

            ok = await Check();
        }
    }

    void IClusterConnectionStatusObserver.NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered) =>
        CheckSoon();

    void IClusterConnectionStatusObserver.NotifyClusterConnectionLost()
    {
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        if (_checking is { } checking)
        {
            // The subscriber object goes with the client: Orleans has let go of it by the time services are disposed.
            await checking.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking thread-feed relay {Relay} failed; retrying shortly.")]
    private partial void LogCheckFailed(Exception exception, string relay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Thread-feed relay {Relay} had lost this process's subscriptions; registered its {Count} streams again, and they catch up.")]
    private partial void LogRegisteredAgain(string relay, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An observer of stream {StreamId} failed to take an event.")]
    private partial void LogObserverFailed(Exception exception, StreamId streamId);

    /// <summary>What this process knows of one relay: the streams it subscribed there and the epoch that took them.</summary>
    private sealed class Relay(string key)
    {
        public string Key { get; } = key;

        /// <summary>Serialises this process's registrations at the relay, so a check never races a subscribe.</summary>
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public HashSet<StreamId> Streams { get; } = [];

        public Guid? Epoch { get; set; }
    }
}
