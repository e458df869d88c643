namespace ReHome.Bench.Scenarios;

/// <summary>The <c>slow</c> scenario on one target: the same load without and with a stalled viewer on every thread.</summary>
public sealed record SlowResult
{
    public required string Target { get; init; }

    /// <summary>Light's load alone.</summary>
    public required LiveResult Without { get; init; }

    /// <summary>Light's load with one stalled viewer per thread; the delay is the other viewers'.</summary>
    public required LiveResult With { get; init; }

    public required int StalledViewers { get; init; }

    /// <summary>Times the stalled viewers connected and stalled (again after the gateway dropped them).</summary>
    public required int StalledConnections { get; init; }

    public required int StalledConnectFailures { get; init; }

    /// <summary>The gateway's <c>rehome_gateway_connections_behind_total</c> and <c>rehome_gateway_slow_disconnects_total</c> over the run with them.</summary>
    public double? GatewayBehind { get; init; }

    public double? GatewaySlowDisconnects { get; init; }
}
