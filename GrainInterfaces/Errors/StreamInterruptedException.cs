namespace ReHome;

/// <summary>
/// The stream's silo failed after handing out sequence numbers it had not yet stored, so numbering a new token
/// without an index could reuse a number that viewers already saw with other text. The producer must resume with
/// <see cref="IStreamGrain.AppendMany"/> from <see cref="StoredThrough"/> + 1, or end or cancel the stream.
/// </summary>
[GenerateSerializer, Alias("rehome.StreamInterruptedException")]
public sealed class StreamInterruptedException(string streamId, long storedThrough)
    : ReHomeException("stream_interrupted",
        $"Stream '{streamId}' was interrupted by a silo failure after sequence {storedThrough}; resume with explicit sequence numbers.")
{
    [Id(0)]
    public long StoredThrough { get; private set; } = storedThrough;
}
