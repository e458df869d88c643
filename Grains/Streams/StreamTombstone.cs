namespace ReHome.Grains;

/// <summary>
/// What remains of an ended stream once <see cref="StreamOptions.DoneRetention"/> has cleared its text and tokens:
/// enough to answer as that ended stream until <see cref="ExpiresAt"/>, so that a late repeat of its start is a no-op
/// and its appends are refused (<c>stream_ended</c>) instead of starting the numbering again at 1 under the same id.
/// Stored apart from <see cref="StreamState"/>, with the <see cref="StorageNames.Tombstones"/> provider, whose entries
/// expire by themselves: a tombstone needs no reminder and no activation to go.
/// </summary>
[GenerateSerializer, Alias("rehome.StreamTombstone")]
public sealed class StreamTombstone
{
    [Id(0)] public string ThreadId { get; set; } = "";
    [Id(1)] public string RunId { get; set; } = "";
    [Id(2)] public long LastSequence { get; set; }
    [Id(3)] public StreamEndReason? Reason { get; set; }
    [Id(4)] public string? Detail { get; set; }
    [Id(5)] public DateTimeOffset StartedAt { get; set; }
    [Id(6)] public DateTimeOffset? EndedAt { get; set; }
    [Id(7)] public DateTimeOffset ExpiresAt { get; set; }

    public static StreamTombstone Of(StreamState ended, long lastSequence, DateTimeOffset expiresAt) => new()
    {
        ThreadId = ended.ThreadId,
        RunId = ended.RunId,
        LastSequence = lastSequence,
        Reason = ended.Reason,
        Detail = ended.Detail,
        StartedAt = ended.StartedAt,
        EndedAt = ended.EndedAt,
        ExpiresAt = expiresAt,
    };

    /// <summary>The ended stream it stands for, without text: no tokens are retained and there is no full response.</summary>
    public StreamState AsEndedState() => new()
    {
        Phase = StreamPhase.Ended,
        ThreadId = ThreadId,
        RunId = RunId,
        LastSequence = LastSequence,
        Settled = true,
        Reason = Reason,
        Detail = Detail,
        StartedAt = StartedAt,
        LastActivityAt = EndedAt ?? StartedAt,
        EndedAt = EndedAt,
    };
}
