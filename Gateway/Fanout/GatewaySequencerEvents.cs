using ReHome.Gateway.Telemetry;

namespace ReHome.Gateway.Fanout;

/// <summary>A sequencer's reports, counted in the gateway's metrics and logged.</summary>
internal sealed partial class GatewaySequencerEvents(GatewayMetrics metrics, ILogger logger) : SequencerEvents
{
    public override void GapFilled() => metrics.GapFilled();

    public override void GapNotFilled(string streamId, long lastForwarded, long firstSequence) =>
        LogGapNotFilled(streamId, lastForwarded, firstSequence);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream {StreamId} holds no tokens after {Last} yet, but an event starts at {First}: it is not forwarded; the producer resends the missing tokens and they go out then.")]
    private partial void LogGapNotFilled(string streamId, long last, long first);
}
