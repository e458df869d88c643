namespace ReHome;

/// <summary>
/// An indexed append or an end skipped sequence numbers the stream does not have, typically because a silo
/// crashed before they were stored. Resend from <see cref="ExpectedSequence"/>.
/// </summary>
[GenerateSerializer, Alias("rehome.SequenceGapException")]
public sealed class SequenceGapException(string streamId, long expectedSequence, long receivedSequence)
    : ReHomeException("sequence_gap",
        $"Stream '{streamId}' expects sequence {expectedSequence} next, not {receivedSequence}.")
{
    [Id(0)]
    public long ExpectedSequence { get; private set; } = expectedSequence;

    [Id(1)]
    public long ReceivedSequence { get; private set; } = receivedSequence;
}
