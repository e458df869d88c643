namespace ReHome;

/// <summary>The stream is done (completed, cancelled or abandoned) and takes no more tokens.</summary>
[GenerateSerializer, Alias("rehome.StreamEndedException")]
public class StreamEndedException : ReHomeException
{
    public StreamEndedException(string streamId, StreamEndReason reason)
        : this("stream_ended", streamId, reason, $"Stream '{streamId}' has ended ({reason.ToString().ToLowerInvariant()}).")
    {
    }

    protected StreamEndedException(string code, string streamId, StreamEndReason reason, string message)
        : base(code, message)
    {
        StreamId = streamId;
        Reason = reason;
    }

    [Id(0)]
    public string StreamId { get; private set; }

    [Id(1)]
    public StreamEndReason Reason { get; private set; }
}
