using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace ReHome.Feed;

/// <summary>
/// What a relay grain holds (<see cref="IThreadFeedRelayGrain"/>): which subscribers want which streams, and for each
/// subscriber the entries on their way to it. Each subscriber has one delivery call in flight at a time; entries
/// published meanwhile go together in its next call, whatever thread they belong to. A lone token therefore goes at
/// once, and under load a gateway gets a few calls carrying many threads' tokens instead of one call per token per
/// thread. Subscribers are independent: a slow or dead one holds up no other.
/// </summary>
/// <remarks>
/// Thread-safe, because streams in the relay's own silo publish to it directly (<see cref="LocalThreadFeedRelays"/>)
/// while the grain's turns serve everyone else. Deliveries are sent from the thread pool, outside any grain's turn.
/// </remarks>
public sealed partial class ThreadFeedRelay
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(50);

    private readonly Lock _lock = new();
    private readonly Dictionary<StreamId, List<Outbox>> _byStream = [];
    private readonly Dictionary<GrainId, Outbox> _bySubscriber = [];
    private readonly string _name;
    private readonly ThreadFeedOptions _options;
    private readonly ThreadFeedMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private bool _closed;

    public ThreadFeedRelay(string name, ThreadFeedOptions options, ThreadFeedMetrics metrics, TimeProvider time, ILogger logger)
    {
        _name = name;
        _options = options;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    /// <summary>This activation's identity: a subscriber that registered with another one has to register again.</summary>
    public Guid Epoch { get; } = Guid.NewGuid();

    /// <summary>Queues each entry for its stream's subscribers; false once closed (the caller then calls the grain).</summary>
    public bool TryPublish(ReadOnlySpan<ThreadFeedEntry> entries)
    {
        List<Outbox>? start = null;
        lock (_lock)
        {
            if (_closed)
            {
                return false;
            }

            foreach (var entry in entries)
            {
                if (!_byStream.TryGetValue(entry.StreamId, out var outboxes))
                {
                    continue;
                }

                foreach (var outbox in outboxes)
                {
                    if (outbox.Add(entry, _options.MaxPendingPerSubscriber, _metrics))
                    {
                        (start ??= []).Add(outbox);
                    }
                }
            }
        }

        _metrics.Published(entries.Length);
        StartSending(start);
        return true;
    }

    /// <summary>
    /// Sends an empty delivery to each subscriber that was sent nothing since the last probe. A process that died
    /// while its threads were idle is otherwise never called again, and its subscriptions would stay for the relay's
    /// lifetime. A live one that has streams here asks the relay about them (<see cref="Knows"/>) every few seconds,
    /// so it is not probed; a probe that fails drops the subscriber at once (it registers again at its next check).
    /// </summary>
    public void ProbeIdle()
    {
        List<Outbox>? start = null;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            foreach (var outbox in _bySubscriber.Values)
            {
                if (outbox.TryStartProbe())
                {
                    (start ??= []).Add(outbox);
                }
            }
        }

        StartSending(start);
    }

    private void StartSending(List<Outbox>? outboxes)
    {
        if (outboxes is null)
        {
            return; // most publishes: every loop already running
        }

        foreach (var outbox in outboxes)
        {
            // Not in the publisher's turn: the delivery must not carry its grain as the caller, nor its context.
            ThreadPool.UnsafeQueueUserWorkItem(static state => _ = state.Relay.Send(state.Outbox), (Relay: this, Outbox: outbox), preferLocal: true);
        }
    }

    public Guid Subscribe(IThreadFeedSubscriber subscriber, IEnumerable<StreamId> streams)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            var id = subscriber.GetGrainId();
            if (!_bySubscriber.TryGetValue(id, out var outbox))
            {
                outbox = new Outbox(subscriber);
                _bySubscriber.Add(id, outbox);
            }

            outbox.MarkActive();

            foreach (var stream in streams)
            {
                if (outbox.Streams.Add(stream))
                {
                    if (!_byStream.TryGetValue(stream, out var outboxes))
                    {
                        outboxes = [];
                        _byStream.Add(stream, outboxes);
                    }

                    outboxes.Add(outbox);
                }
            }

            return Epoch;
        }
    }

    public Guid Replace(IThreadFeedSubscriber subscriber, IReadOnlyCollection<StreamId> streams)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (_bySubscriber.TryGetValue(subscriber.GetGrainId(), out var outbox))
            {
                var wanted = streams.ToHashSet();
                Unsubscribe(subscriber, outbox.Streams.Where(s => !wanted.Contains(s)).ToArray());
            }

            return streams.Count == 0 ? Epoch : Subscribe(subscriber, streams);
        }
    }

    public void Unsubscribe(IThreadFeedSubscriber subscriber, IEnumerable<StreamId> streams)
    {
        lock (_lock)
        {
            if (!_bySubscriber.TryGetValue(subscriber.GetGrainId(), out var outbox))
            {
                return;
            }

            foreach (var stream in streams)
            {
                if (outbox.Streams.Remove(stream))
                {
                    RemoveFromStream(stream, outbox);
                }
            }

            if (outbox.Streams.Count == 0)
            {
                Forget(outbox);
            }
        }
    }

    public bool Knows(IThreadFeedSubscriber subscriber, Guid epoch, int streamCount)
    {
        lock (_lock)
        {
            if (epoch != Epoch || _closed || !_bySubscriber.TryGetValue(subscriber.GetGrainId(), out var outbox))
            {
                return false;
            }

            // A process that checks is alive: its idle subscriptions need no probe.
            outbox.MarkActive();
            return outbox.Streams.Count == streamCount;
        }
    }

    /// <summary>How many subscribers the stream has here.</summary>
    public int SubscriberCount(StreamId stream)
    {
        lock (_lock)
        {
            return _byStream.TryGetValue(stream, out var outboxes) ? outboxes.Count : 0;
        }
    }

    /// <summary>
    /// Refuses further entries and stops every delivery: the grain's activation is going. Each subscriber gets a last
    /// delivery with what was waiting for it, naming this relay as closing, so that it registers at the next
    /// activation without waiting to hear that the silo left. Not awaited: a subscriber that does not answer must not
    /// hold up the silo's shutdown, and one that misses it finds out at its next check.
    /// </summary>
    public void Close()
    {
        List<(IThreadFeedSubscriber Subscriber, ThreadFeedDelivery Last)> last = [];
        lock (_lock)
        {
            _closed = true;
            foreach (var outbox in _bySubscriber.Values.ToArray())
            {
                var delivery = outbox.TryTake(int.MaxValue, out var waiting) ? waiting : new ThreadFeedDelivery([], []);
                last.Add((outbox.Subscriber, delivery with { ClosingRelay = _name }));
                Forget(outbox);
            }
        }

        foreach (var (subscriber, delivery) in last)
        {
            _ = SendLast(subscriber, delivery);
        }
    }

    private async Task SendLast(IThreadFeedSubscriber subscriber, ThreadFeedDelivery delivery)
    {
        try
        {
            await subscriber.Deliver(delivery).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogDeliveryFailed(ex, _name, subscriber.GetGrainId(), dropped: true);
        }
    }

    /// <summary>One subscriber's delivery loop, while it has something to send.</summary>
    private async Task Send(Outbox outbox)
    {
        var delay = FirstRetryDelay;
        while (true)
        {
            ThreadFeedDelivery delivery;
            lock (_lock)
            {
                if (!outbox.TryTake(_options.MaxEntriesPerDelivery, out delivery))
                {
                    return;
                }
            }

            try
            {
                await outbox.Subscriber.Deliver(delivery).ConfigureAwait(false);
                _metrics.Delivered(delivery.Entries.Length);
                outbox.FailedInARow = 0;
                delay = FirstRetryDelay;
            }
            catch (Exception ex)
            {
                bool dropped;
                lock (_lock)
                {
                    outbox.MarkLost(delivery);
                    // Only a subscriber that stopped checking is probed (an empty delivery): a failed probe means it is gone.
                    var probe = delivery.Entries.Length == 0 && delivery.Lost.Length == 0;
                    dropped = ex is ClientNotAvailableException || probe || ++outbox.FailedInARow >= _options.MaxFailedDeliveries;
                    if (dropped && _bySubscriber.GetValueOrDefault(outbox.Subscriber.GetGrainId()) == outbox)
                    {
                        Forget(outbox);
                    }
                }

                _metrics.DeliveryFailed(dropped);
                LogDeliveryFailed(ex, _name, outbox.Subscriber.GetGrainId(), dropped);
                if (dropped)
                {
                    return;
                }

                await Task.Delay(delay, _time).ConfigureAwait(false);
                delay *= 2;
            }
        }
    }

    private void Forget(Outbox outbox)
    {
        foreach (var stream in outbox.Streams)
        {
            RemoveFromStream(stream, outbox);
        }

        outbox.Streams.Clear();
        outbox.Forgotten();
        _bySubscriber.Remove(outbox.Subscriber.GetGrainId());
    }

    private void RemoveFromStream(StreamId stream, Outbox outbox)
    {
        if (_byStream.TryGetValue(stream, out var outboxes) && outboxes.Remove(outbox) && outboxes.Count == 0)
        {
            _byStream.Remove(stream);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Relay {Relay} failed a delivery to {Subscriber} (dropped: {Dropped}); its streams are marked lost, and it catches up on them.")]
    private partial void LogDeliveryFailed(Exception exception, string relay, GrainId subscriber, bool dropped);

    /// <summary>One subscriber at one relay. Guarded by the relay's lock, except <see cref="FailedInARow"/> (its loop's own).</summary>
    private sealed class Outbox(IThreadFeedSubscriber subscriber)
    {
        private static readonly StreamId[] NoneLost = [];

        private List<ThreadFeedEntry> _pending = [];
        private HashSet<StreamId>? _lost;
        private bool _sending;
        private bool _forgotten;
        private bool _probing;
        private bool _activeSinceProbe;

        public IThreadFeedSubscriber Subscriber { get; } = subscriber;

        public HashSet<StreamId> Streams { get; } = [];

        public int FailedInARow { get; set; }

        /// <summary>Queues the entry, or marks its stream lost when full; true when the loop must start.</summary>
        public bool Add(ThreadFeedEntry entry, int maxPending, ThreadFeedMetrics metrics)
        {
            if (_pending.Count < maxPending)
            {
                _pending.Add(entry);
            }
            else
            {
                (_lost ??= []).Add(entry.StreamId);
                metrics.Lost();
            }

            if (_sending)
            {
                return false;
            }

            _sending = true;
            return true;
        }

        /// <summary>The subscriber called, or was sent something: it needs no probe this time.</summary>
        public void MarkActive() => _activeSinceProbe = true;

        /// <summary>True when nothing happened since the last probe and nothing is on its way: the loop must start.</summary>
        public bool TryStartProbe()
        {
            var idle = !_activeSinceProbe && !_sending;
            _activeSinceProbe = false;
            if (idle)
            {
                _probing = _sending = true;
            }

            return idle;
        }

        public bool TryTake(int max, out ThreadFeedDelivery delivery)
        {
            if (_forgotten || (_pending.Count == 0 && _lost is null && !_probing))
            {
                _sending = false;
                delivery = null!;
                return false;
            }

            _probing = false;
            MarkActive();

            ThreadFeedEntry[] entries;
            if (_pending.Count <= max)
            {
                entries = [.. _pending];
                _pending.Clear();
            }
            else
            {
                entries = [.. _pending.GetRange(0, max)];
                _pending.RemoveRange(0, max);
            }

            delivery = new ThreadFeedDelivery(entries, _lost is null ? NoneLost : [.. _lost]);
            _lost = null;
            return true;
        }

        public void MarkLost(ThreadFeedDelivery failed)
        {
            _lost ??= [];
            _lost.UnionWith(failed.Lost);
            foreach (var entry in failed.Entries)
            {
                _lost.Add(entry.StreamId);
            }
        }

        public void Forgotten()
        {
            _forgotten = true;
            _pending = [];
            _lost = null;
        }
    }
}
