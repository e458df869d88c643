using System.Runtime.Serialization;

namespace ReHome;

/// <summary>
/// The payload of <c>agent.thread.presence</c> and the answer to <c>GetPresence</c>: the users watching a thread
/// now, each once however many tabs and gateways they watch from. <see cref="Version"/> grows with every change;
/// a receiver keeps the highest it has seen.
/// </summary>
[DataContract]
public sealed record PresenceMessage(
    [property: DataMember(Name = "threadId")] string ThreadId,
    [property: DataMember(Name = "count")] int Count,
    [property: DataMember(Name = "userIds")] string[] UserIds,
    [property: DataMember(Name = "version")] long Version)
{
    public static PresenceMessage From(PresenceSnapshot snapshot) =>
        new(snapshot.ThreadId, snapshot.UserIds.Length, snapshot.UserIds, snapshot.Version);
}
