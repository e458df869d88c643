using System.Diagnostics;

namespace ReHome;

/// <summary>How a thread event shows in a trace, the same on the grain's publish span and the gateway's delivery span.</summary>
public static class ThreadEventTracing
{
    /// <summary>The W3C trace context the grain put on the event, or null.</summary>
    public static string? TraceParent(this ThreadEvent item) => item switch
    {
        TokensAppended tokens => tokens.TraceParent,
        StreamEnded ended => ended.TraceParent,
        _ => null,
    };

    public static Activity Tag(this Activity span, ThreadEvent item)
    {
        span.SetTag("rehome.thread_id", item.ThreadId);
        span.SetTag("rehome.stream_id", item.StreamId);
        if (item is TokensAppended tokens)
        {
            span.SetTag("rehome.first_sequence", tokens.FirstSequence);
            span.SetTag("rehome.token_count", tokens.Tokens.Length);
        }

        return span;
    }
}
