using Microsoft.Extensions.Options;

namespace ReHome.Gateway.Fanout;

/// <summary>
/// Keeps the fan-out honest in the background: every <see cref="GatewayOptions.SubscriptionCheckInterval"/> it
/// checks each thread subscription against Orleans (at once when the cluster connection recovers), and every
/// <see cref="GatewayOptions.SilentStreamProbe"/> it asks silent open streams for their state.
/// </summary>
internal sealed class SubscriptionKeeper(
    ThreadFanout fanout,
    ClusterConnectionWatcher connection,
    IOptions<GatewayOptions> options,
    TimeProvider time) : BackgroundService
{
    private static readonly ParallelOptions Parallelism = new() { MaxDegreeOfParallelism = 16 };

    private volatile bool _verifyNow;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        connection.Changed += () => _verifyNow = true;
        var settings = options.Value;
        var tick = settings.SilentStreamProbe < settings.SubscriptionCheckInterval ? settings.SilentStreamProbe : settings.SubscriptionCheckInterval;
        var lastVerified = time.GetUtcNow();
        using var timer = new PeriodicTimer(tick, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var verify = _verifyNow || time.GetUtcNow() - lastVerified >= settings.SubscriptionCheckInterval;
            if (verify)
            {
                _verifyNow = false;
                lastVerified = time.GetUtcNow();
            }

            // Several at a time: a check whose grain call waits out the response timeout (its silo just died) must
            // not hold up the probes of every other thread.
            await Parallel.ForEachAsync(fanout.Channels, Parallelism,
                (channel, _) => new ValueTask(channel.Check(verify, settings.SilentStreamProbe)));
        }
    }
}
