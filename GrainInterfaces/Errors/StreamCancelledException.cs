namespace ReHome;

/// <summary>The stream was cancelled on the server; the producer should stop generating.</summary>
[GenerateSerializer, Alias("rehome.StreamCancelledException")]
public sealed class StreamCancelledException(string streamId, string detail)
    : StreamEndedException("stream_cancelled", streamId, StreamEndReason.Cancelled,
        $"Stream '{streamId}' was cancelled: {detail}")
{
    [Id(0)]
    public string Detail { get; private set; } = detail;
}
