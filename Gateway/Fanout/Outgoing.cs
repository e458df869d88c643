namespace ReHome.Gateway.Fanout;

/// <summary>One thing waiting in a connection's <see cref="Outbox"/>: a thread's batch, or a notice for this connection only.</summary>
internal readonly record struct Outgoing
{
    private Outgoing(OutboundBatch? batch, BehindMessage? behind, RevokedMessage? revoked, PresenceMessage? presence)
    {
        Batch = batch;
        Behind = behind;
        Revoked = revoked;
        Presence = presence;
    }

    public OutboundBatch? Batch { get; }

    public BehindMessage? Behind { get; }

    public RevokedMessage? Revoked { get; }

    public PresenceMessage? Presence { get; }

    public string ThreadId => Batch?.ThreadId ?? Behind?.ThreadId ?? Revoked?.ThreadId ?? Presence!.ThreadId;

    public static Outgoing Of(OutboundBatch batch) => new(batch, null, null, null);

    public static Outgoing Of(BehindMessage behind) => new(null, behind, null, null);

    public static Outgoing Of(RevokedMessage revoked) => new(null, null, revoked, null);

    public static Outgoing Of(PresenceMessage presence) => new(null, null, null, presence);
}
