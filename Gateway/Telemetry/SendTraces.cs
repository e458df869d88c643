using System.Diagnostics;

namespace ReHome.Gateway.Telemetry;

/// <summary>
/// The deliveries whose messages wait for one hub send. <see cref="Capture"/> when messages are queued (inside the
/// delivery span), <see cref="Take"/> when a send takes the queue, then <see cref="StartSend"/> around the send.
/// Not thread-safe: call it under the queue's own lock.
/// </summary>
internal sealed class SendTraces
{
    private List<ActivityContext>? _pending;

    public void Capture()
    {
        if (Activity.Current is { } current && current.Source == DeliveryTracing.Source)
        {
            (_pending ??= []).Add(current.Context);
        }
    }

    public List<ActivityContext>? Take()
    {
        var pending = _pending;
        _pending = null;
        return pending;
    }

    /// <summary>A hub send span: child of the first delivery it carries, linked to the rest; null when none was traced.</summary>
    public static Activity? StartSend(List<ActivityContext>? deliveries, string group, int messages)
    {
        if (deliveries is not { Count: > 0 })
        {
            return null;
        }

        var links = deliveries.Count == 1 ? null : deliveries.Skip(1).Distinct().Select(d => new ActivityLink(d));
        var span = DeliveryTracing.Source.StartActivity("rehome.hub.send", ActivityKind.Producer, deliveries[0], links: links);
        span?.SetTag("rehome.group", group);
        span?.SetTag("rehome.message_count", messages);
        return span;
    }
}
