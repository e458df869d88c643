namespace ReHome;

/// <summary>
/// The answer to an indexed append. <see cref="LastSequence"/> is the stream's last sequence after the call;
/// <see cref="DurableThrough"/> is the last sequence known to be in grain storage. A producer that may have to
/// resend after a silo crash keeps its tokens after <see cref="DurableThrough"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("rehome.AppendAck")]
public readonly record struct AppendAck(
    [property: Id(0)] long LastSequence,
    [property: Id(1)] long DurableThrough);
