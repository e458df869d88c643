namespace ReHome.Gateway.Fanout;

internal enum JoinResult
{
    /// <summary>The connection now watches the thread.</summary>
    Joined,

    /// <summary>It already did; nothing changed.</summary>
    AlreadyJoined,

    /// <summary>The connection closed before the join finished; nothing is held for it.</summary>
    ConnectionClosed,
}
