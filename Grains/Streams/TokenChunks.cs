using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Storage;

namespace ReHome.Grains;

/// <summary>
/// How a stream's tokens are stored so that a checkpoint costs what is new, not the whole replay window. Every full
/// run of <see cref="ChunkTokens"/> tokens (chunk <c>k</c>: sequences up to <c>(k + 1) × ChunkTokens</c>) is sealed:
/// written once under its own storage record (<c>stream.chunk.k</c> beside the stream's state), before the state
/// that names it. The state (the head) then keeps only the tokens after the last sealed chunk. Chunks that fall out
/// of the window are deleted once the head no longer names them; those an activation left undeleted (it died, or a
/// delete failed) are found by the next one.
/// </summary>
/// <remarks>
/// A head stored before chunks existed has <see cref="StreamState.SealedThrough"/> 0 and its whole window in
/// <see cref="StreamState.TokenText"/>: it reads as a head with no chunks, so stored streams need no migration.
/// The reverse does not hold: an older build would read only a chunked head's tail (after a rollback, such streams
/// replay from there and need a full response to end).
/// Calls are not concurrent: the grain serializes its writes.
/// </remarks>
internal sealed partial class TokenChunks(IGrainStorage storage, GrainId grainId, ILogger logger)
{
    public const int DefaultChunkTokens = 256;
    private const string StateNamePrefix = "stream.chunk.";

    /// <summary>Stored chunks this activation knows of, with their records' ETags; null until the first.</summary>
    private SortedDictionary<long, string?>? _stored;
    private long _sealedThrough;
    private int _chunkTokens = DefaultChunkTokens;

    public int ChunkTokens => _chunkTokens;

    /// <summary>Reads the chunks <paramref name="head"/> names and returns its tokens, ending at its last sequence.</summary>
    public async Task<string[]> Restore(StreamState head)
    {
        _chunkTokens = head.ChunkTokens > 0 ? head.ChunkTokens : DefaultChunkTokens;
        _sealedThrough = head.SealedThrough;
        await FindLeftBehind(head.FirstChunk);
        var tail = head.Tokens;
        if (tail.Length < head.LastSequence - head.SealedThrough)
        {
            // The window starts inside the tail: no chunk is needed.
            return tail;
        }

        var tokens = new List<string>();
        for (var index = head.FirstChunk; (index + 1) * _chunkTokens <= head.SealedThrough; index++)
        {
            var record = new GrainState<StreamTokenChunk>();
            await storage.ReadStateAsync(StateName(index), grainId, record);
            if (!record.RecordExists)
            {
                // Storage lost it: keep what follows, so the history reads as trimmed rather than wrong.
                LogChunkMissing(grainId, index);
                tokens.Clear();
                continue;
            }

            (_stored ??= [])[index] = record.ETag;
            tokens.AddRange(PackedTokens.Unpack(record.State!.Text, record.State.Lengths));
        }

        tokens.AddRange(tail);
        return [.. tokens];
    }

    /// <summary>
    /// Finds the chunks below <paramref name="firstChunk"/> that an earlier activation meant to delete and did not (it
    /// died between storing a head and deleting what that head dropped, or a delete failed), so that the next stored
    /// head deletes them. Deletes go lowest first and stop at a failure, so what is left is the run just below.
    /// </summary>
    private async Task FindLeftBehind(long firstChunk)
    {
        for (var index = firstChunk - 1; index >= 0; index--)
        {
            var record = new GrainState<StreamTokenChunk>();
            await storage.ReadStateAsync(StateName(index), grainId, record);
            if (!record.RecordExists)
            {
                return;
            }

            (_stored ??= [])[index] = record.ETag;
        }
    }

    /// <summary>
    /// Fills <paramref name="head"/>'s token fields from <paramref name="history"/> and returns the chunks that became
    /// full since the last checkpoint, to store with <see cref="Store"/> before the head.
    /// </summary>
    public IReadOnlyList<(long Index, StreamTokenChunk Chunk)> Checkpoint(TokenHistory history, StreamState head)
    {
        var sealing = new List<(long, StreamTokenChunk)>();
        var sealedThrough = _sealedThrough;
        while (sealedThrough + _chunkTokens <= history.LastSequence)
        {
            // A chunk partly out of the window stores what is left of it; one wholly out of it is skipped.
            var end = sealedThrough + _chunkTokens;
            if (end >= history.FirstRetained)
            {
                var (text, lengths) = history.Pack(sealedThrough + 1, end);
                sealing.Add((sealedThrough / _chunkTokens, new StreamTokenChunk { Text = text, Lengths = lengths }));
            }

            sealedThrough = end;
        }

        (head.TokenText, head.TokenLengths) = history.Pack(sealedThrough + 1, history.LastSequence);
        head.SealedThrough = sealedThrough;
        head.ChunkTokens = _chunkTokens;
        head.FirstChunk = Math.Min((history.FirstRetained - 1) / _chunkTokens, sealedThrough / _chunkTokens);
        return sealing;
    }

    /// <summary>Stores sealed chunks; a chunk already stored (by an earlier attempt or activation) is overwritten.</summary>
    public async Task Store(IReadOnlyList<(long Index, StreamTokenChunk Chunk)> chunks)
    {
        foreach (var (index, chunk) in chunks)
        {
            var record = new GrainState<StreamTokenChunk>(chunk) { ETag = _stored?.GetValueOrDefault(index) };
            try
            {
                await storage.WriteStateAsync(StateName(index), grainId, record);
            }
            catch (InconsistentStateException)
            {
                // Written before, by a write that seemed to fail or by an activation whose head never named it.
                // The head decides what is committed, so this chunk's text replaces it.
                var existing = new GrainState<StreamTokenChunk>();
                await storage.ReadStateAsync(StateName(index), grainId, existing);
                record.ETag = existing.ETag;
                await storage.WriteStateAsync(StateName(index), grainId, record);
            }

            (_stored ??= [])[index] = record.ETag;
            _sealedThrough = Math.Max(_sealedThrough, (index + 1) * _chunkTokens);
        }
    }

    /// <summary>After <paramref name="head"/> is stored: deletes the stored chunks it no longer names.</summary>
    public async Task HeadStored(StreamState head)
    {
        _sealedThrough = Math.Max(_sealedThrough, head.SealedThrough);
        while (_stored is { Count: > 0 } && _stored.First() is var (index, etag) && index < head.FirstChunk)
        {
            try
            {
                await Delete(index, etag);
            }
            catch (Exception ex)
            {
                // Left for the next checkpoint, or for the stream's retention to clear.
                LogDropFailed(ex, grainId, index);
                return;
            }
        }
    }

    /// <summary>Deletes every stored chunk (the stream's retention ended).</summary>
    public async Task Clear()
    {
        while (_stored is { Count: > 0 } && _stored.First() is var (index, etag))
        {
            await Delete(index, etag);
        }

        _sealedThrough = 0;
    }

    private async Task Delete(long index, string? etag)
    {
        var record = new GrainState<StreamTokenChunk> { ETag = etag };
        try
        {
            await storage.ClearStateAsync(StateName(index), grainId, record);
        }
        catch (InconsistentStateException)
        {
            await storage.ReadStateAsync(StateName(index), grainId, record);
            await storage.ClearStateAsync(StateName(index), grainId, record);
        }

        _stored!.Remove(index);
    }

    private static string StateName(long index) => StateNamePrefix + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream {GrainId} names token chunk {Index}, but storage has no such record; its replay starts after it.")]
    private partial void LogChunkMissing(GrainId grainId, long index);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting token chunk {Index} of stream {GrainId} failed; it is retried later.")]
    private partial void LogDropFailed(Exception exception, GrainId grainId, long index);
}
