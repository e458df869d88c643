using System.Runtime.Serialization;

namespace ReHome.Bench.Load;

/// <summary>
/// What a viewer reads from <c>agent.thread.token</c> / <c>agent.thread.tokens</c>: the fields it checks. Other
/// fields of the contract are skipped by both protocols. Data-member names are the wire names (MessagePack keys).
/// </summary>
[DataContract]
public sealed class DeliveredToken
{
    [DataMember(Name = "streamId")]
    public string StreamId { get; set; } = "";

    [DataMember(Name = "sequence")]
    public long Sequence { get; set; }

    [DataMember(Name = "token")]
    public string? Token { get; set; }

    [DataMember(Name = "done")]
    public bool Done { get; set; }
}
