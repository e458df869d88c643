namespace ReHome;

/// <summary>The stream was never started, or its retention expired and its state was cleared.</summary>
[GenerateSerializer, Alias("rehome.StreamNotFoundException")]
public sealed class StreamNotFoundException(string streamId)
    : ReHomeException("stream_not_found", $"Stream '{streamId}' has not been started, or has expired.")
{
    [Id(0)]
    public string StreamId { get; private set; } = streamId;
}
