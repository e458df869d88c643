using System.Diagnostics;

namespace ReHome.Grains;

/// <summary>
/// The grains' trace spans, on the <c>ReHome.Grains</c> activity source: the publish of a thread event, a child of
/// the append (Orleans' grain-call span) that opened it. The publish's context travels on the event
/// (<see cref="TokensAppended.TraceParent"/>), which is how a gateway's delivery joins the same trace: Orleans does
/// not carry trace context across a stream queue.
/// </summary>
public static class GrainTracing
{
    public const string SourceName = "ReHome.Grains";

    private static readonly ActivitySource Source = new(SourceName);

    /// <summary>The current call's trace context, to carry to the publish; default when the call is not traced.</summary>
    internal static ActivityContext Current => Activity.Current?.Context ?? default;

    /// <summary>A publish span under <paramref name="append"/>, or null when that append was not traced (nothing is started).</summary>
    internal static Activity? StartPublish(ThreadEvent item, ActivityContext append)
    {
        return append == default ? null : Source.StartActivity("rehome.publish", ActivityKind.Producer, append)?.Tag(item);
    }

    /// <summary>The event with the publish span's context on it, for the gateway's delivery to continue.</summary>
    internal static ThreadEvent Stamp(ThreadEvent item, Activity? publish) => (item, publish?.Id) switch
    {
        (_, null) => item,
        (TokensAppended tokens, var id) => tokens with { TraceParent = id },
        (StreamEnded ended, var id) => ended with { TraceParent = id },
        _ => item,
    };
}
