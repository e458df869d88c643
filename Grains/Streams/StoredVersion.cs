namespace ReHome.Grains;

/// <summary>
/// Tells, after a write conflicted or timed out, whose state storage now holds. A write that timed out in the
/// client can still be applied when Redis comes back, which moves the stored version (ETag) under the grain.
/// If what is stored is an earlier version of what this activation holds, it is this activation's own write and
/// the grain may write over it. If it holds tokens, a phase or an end that this activation does not know, another
/// activation wrote it (a duplicate during a failover), and this one must step aside.
/// </summary>
/// <remarks>
/// A head names its sealed chunks by <see cref="StreamState.SealedThrough"/> and holds only the tokens after them
/// (<see cref="TokenChunks"/>). This activation stores a chunk before any head that names it, and never unseals one,
/// so a head of its own never names more chunks than the head it is about to write. The comparison therefore reads
/// the head alone: its numbers and its tail of tokens, not the chunks (which are written once per number, and whose
/// text the head decides).
/// </remarks>
internal static class StoredVersion
{
    /// <param name="stored">What storage holds now.</param>
    /// <param name="storedExists">Whether storage holds a record at all.</param>
    /// <param name="everStored">Whether this activation read or wrote a record before.</param>
    /// <param name="mine">What this activation is about to write.</param>
    /// <param name="heldToken">This activation's token at a sequence number, or null when it no longer holds it.</param>
    public static bool IsEarlierVersionOf(StreamState stored, bool storedExists, bool everStored, StreamState mine, Func<long, string?> heldToken)
    {
        if (!storedExists)
        {
            // Nothing stored is a prefix of anything, unless a record this activation knew was deleted by someone else.
            return !everStored;
        }

        if (stored.Phase == StreamPhase.NotStarted)
        {
            return true;
        }

        if (stored.Phase > mine.Phase || stored.ThreadId != mine.ThreadId || stored.RunId != mine.RunId
            || stored.LastSequence > mine.LastSequence || stored.SealedThrough > mine.SealedThrough
            || (stored.ChunkTokens != 0 && stored.ChunkTokens != mine.ChunkTokens))
        {
            return false;
        }

        if (stored.Phase == StreamPhase.Ended
            && (stored.Reason != mine.Reason || stored.Detail != mine.Detail || stored.FullResponse != mine.FullResponse))
        {
            return false;
        }

        // The tail after the sealed chunks, ending at the head's last sequence.
        var tokens = stored.Tokens;
        var first = stored.LastSequence - tokens.Length + 1;
        for (var i = 0; i < tokens.Length; i++)
        {
            // A token this activation has trimmed from its window can no longer be compared; the rest must match.
            if (heldToken(first + i) is { } held && held != tokens[i])
            {
                return false;
            }
        }

        return true;
    }
}
