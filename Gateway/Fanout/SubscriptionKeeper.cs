using Microsoft.Extensions.Options;

namespace ReHome.Gateway.Fanout;

/// <summary>
/// Keeps the fan-out honest in the background, while any viewer is connected: it asks open streams silent for
/// <see cref="GatewayOptions.SilentStreamProbe"/> for their state, and for <see cref="GatewayOptions.FailoverProbeWindow"/>
/// after a silo disappears, those silent for <see cref="GatewayOptions.FailoverSilentStreamProbe"/>; a thread whose
/// catch-up after lost feed events failed tries it again then. (The thread feeds
/// check their own subscriptions: <see cref="ReHome.Feed.ThreadFeedConsumer"/>.)
/// </summary>
internal sealed class SubscriptionKeeper(
    ThreadFanout fanout,
    ClusterConnectionWatcher connection,
    IOptions<GatewayOptions> options,
    TimeProvider time) : BackgroundService
{
    private readonly WakeUp _siloLost = new();
    private long _failoverUntilTicks;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        connection.SiloLost += () =>
        {
            Interlocked.Exchange(ref _failoverUntilTicks, (time.GetUtcNow() + options.Value.FailoverProbeWindow).UtcTicks);
            _siloLost.Set();
        };
        return Probe(stoppingToken);
    }

    private async Task Probe(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // A thread is watched only while a viewer of it is connected; with none there is nothing to probe.
            await fanout.AnyViewer(stoppingToken);
            var settings = options.Value;
            var failover = time.GetUtcNow().UtcTicks < Interlocked.Read(ref _failoverUntilTicks);
            var silentFor = failover ? settings.FailoverSilentStreamProbe : settings.SilentStreamProbe;

            // Not awaited: a channel whose probe waits on a dead silo is skipped until it is done, and the others
            // are probed on time.
            foreach (var channel in fanout.Channels)
            {
                channel.StartProbe(silentFor);
            }

            await _siloLost.Wait(silentFor / 2, time, stoppingToken);
        }
    }

    /// <summary>A wait that ends after its period, or earlier when set.</summary>
    private sealed class WakeUp
    {
        private TaskCompletionSource _set = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Set() => Volatile.Read(ref _set).TrySetResult();

        public async Task Wait(TimeSpan period, TimeProvider time, CancellationToken cancellationToken)
        {
            var set = Volatile.Read(ref _set);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            await Task.WhenAny(set.Task, Task.Delay(period, time, stop.Token));
            stop.Cancel();
            if (set.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _set, new(TaskCreationOptions.RunContinuationsAsynchronously), set);
            }
        }
    }
}
