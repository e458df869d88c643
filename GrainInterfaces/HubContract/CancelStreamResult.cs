using System.Runtime.Serialization;

namespace ReHome;

/// <summary>
/// The answer to <c>CancelStream</c>. <see cref="Cancelled"/> is true when this call stopped the stream; false when
/// it had already ended, and then <see cref="Reason"/> and <see cref="Detail"/> say how (<c>completed</c>,
/// <c>cancelled</c> with who stopped it, <c>abandoned</c>).
/// </summary>
[DataContract]
public sealed record CancelStreamResult(
    [property: DataMember(Name = "streamId")] string StreamId,
    [property: DataMember(Name = "cancelled")] bool Cancelled,
    [property: DataMember(Name = "reason")] string? Reason,
    [property: DataMember(Name = "detail")] string? Detail);
