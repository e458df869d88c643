using System.Diagnostics;

namespace ReHome.Gateway.Telemetry;

/// <summary>
/// The gateway's trace spans, on the <c>ReHome.Gateway</c> activity source. <see cref="StartDelivery"/> continues the
/// producer's trace from the context the grain put on the thread event (the Orleans stream hop carries none itself);
/// <see cref="SendTraces"/> makes the hub send a child of the first delivery it carries and links the others.
/// </summary>
internal static class DeliveryTracing
{
    public const string SourceName = ReHome.Silo.TracingDefaults.GatewaySourceName;

    internal static readonly ActivitySource Source = new(SourceName);

    /// <summary>The delivery of one thread event to this gateway, or null when the event was not traced.</summary>
    public static Activity? StartDelivery(ThreadEvent item) =>
        item.TraceParent() is { } traceParent && ActivityContext.TryParse(traceParent, null, isRemote: true, out var publish)
            ? Source.StartActivity("rehome.deliver", ActivityKind.Consumer, publish)?.Tag(item)
            : null;
}
