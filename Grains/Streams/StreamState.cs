namespace ReHome.Grains;

[GenerateSerializer, Alias("rehome.StreamPhase")]
public enum StreamPhase
{
    NotStarted = 0,
    Open = 1,
    Ended = 2,
}

/// <summary>
/// What a stream grain stores. Each write stores a fresh instance that is never changed afterwards,
/// so a storage provider may serialize it whenever it likes.
/// </summary>
[GenerateSerializer, Alias("rehome.StreamState")]
public sealed class StreamState
{
    [Id(0)] public StreamPhase Phase { get; set; }
    [Id(1)] public string ThreadId { get; set; } = "";
    [Id(2)] public string RunId { get; set; } = "";
    [Id(3)] public long LastSequence { get; set; }

    // Id 4 held the retained tokens as string[] before they were packed; it is not reused.

    /// <summary>
    /// The retained tokens after <see cref="SealedThrough"/>, one after another, ending at <see cref="LastSequence"/>;
    /// see <see cref="PackedTokens"/>. The tokens before are in sealed chunks (<see cref="TokenChunks"/>).
    /// </summary>
    [Id(12)] public string TokenText { get; set; } = "";

    /// <summary>Each token's UTF-16 length in <see cref="TokenText"/>, as unsigned LEB128 varints.</summary>
    [Id(13)] public byte[] TokenLengths { get; set; } = [];

    /// <summary>The tokens in <see cref="TokenText"/>, ending at <see cref="LastSequence"/>.</summary>
    public string[] Tokens => PackedTokens.Unpack(TokenText, TokenLengths);

    /// <summary>
    /// Tokens up to this sequence are stored in sealed chunks of <see cref="ChunkTokens"/> each, not in
    /// <see cref="TokenText"/>. 0 in states stored before chunks existed, whose <see cref="TokenText"/> holds the whole window.
    /// </summary>
    [Id(14)] public long SealedThrough { get; set; }

    /// <summary>The oldest sealed chunk the replay window still needs; chunks from here to <see cref="SealedThrough"/> are stored.</summary>
    [Id(15)] public long FirstChunk { get; set; }

    /// <summary>Tokens per sealed chunk when these were sealed (chunk <c>k</c> ends at sequence <c>(k + 1) × ChunkTokens</c>).</summary>
    [Id(16)] public int ChunkTokens { get; set; }

    /// <summary>
    /// True only when no sequence number past <see cref="LastSequence"/> can have been handed out: written on a
    /// clean deactivation and on end. An open stream read back with false was interrupted by a crash.
    /// </summary>
    [Id(5)] public bool Settled { get; set; }

    [Id(6)] public StreamEndReason? Reason { get; set; }
    [Id(7)] public string? Detail { get; set; }
    [Id(8)] public string? FullResponse { get; set; }
    [Id(9)] public DateTimeOffset StartedAt { get; set; }
    [Id(10)] public DateTimeOffset LastActivityAt { get; set; }
    [Id(11)] public DateTimeOffset? EndedAt { get; set; }
}
