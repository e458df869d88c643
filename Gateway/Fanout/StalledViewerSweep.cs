using Microsoft.Extensions.Options;

namespace ReHome.Gateway.Fanout;

/// <summary>
/// Once a second while any viewer is connected, disconnects the viewers that stayed behind, or whose socket took no
/// data, for longer than <see cref="GatewayOptions.BehindTimeout"/>. One timer for the gateway rather than one per
/// slow connection.
/// </summary>
internal sealed class StalledViewerSweep(ThreadFanout fanout, IOptions<GatewayOptions> options, TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var timeout = options.Value.BehindTimeout;
        while (!stoppingToken.IsCancellationRequested)
        {
            await fanout.AnyViewer(stoppingToken);
            await Task.Delay(Period, time, stoppingToken);
            foreach (var viewer in fanout.Viewers)
            {
                viewer.DisconnectIfStalled(timeout);
            }
        }
    }
}
