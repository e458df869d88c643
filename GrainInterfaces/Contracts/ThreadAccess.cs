namespace ReHome;

/// <summary>Who may watch a thread, set by backend services (the old <c>canAccessThread</c> data).</summary>
[GenerateSerializer, Immutable, Alias("rehome.ThreadAccess")]
public sealed record ThreadAccess(
    [property: Id(0)] string? WorkspaceId,
    [property: Id(1)] string? ProjectId,
    [property: Id(2)] string OwnerUserId,
    [property: Id(3)] string[] MemberUserIds);
