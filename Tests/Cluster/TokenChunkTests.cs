using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;
using ReHome.Grains;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Cluster;

/// <summary>Checkpoints store full chunks of tokens once and keep only the newer tokens in the stream's state.</summary>
[Collection(ClusterCollection.Name)]
public sealed class TokenChunkTests(ClusterFixture fixture)
{
    private const int Chunk = TokenChunks.DefaultChunkTokens;

    [Fact]
    public async Task A_checkpoint_seals_full_chunks_and_the_state_keeps_only_the_tail()
    {
        var (_, _, streamId, grain) = await fixture.NewStream();
        var sent = Tokens(2 * Chunk + 88);
        await grain.AppendMany(1, sent);

        var head = await Eventually.Get(async () => (await fixture.ReadStoredStream(streamId)).State,
            s => s.LastSequence == sent.Length, because: "the checkpoint stores every token");

        Assert.Equal(2 * Chunk, head.SealedThrough);
        Assert.Equal(Chunk, head.ChunkTokens);
        Assert.Equal(0, head.FirstChunk);
        Assert.Equal(sent[(2 * Chunk)..], head.Tokens);
        Assert.Equal(sent[..Chunk], await StoredChunk(streamId, 0));
        Assert.Equal(sent[Chunk..(2 * Chunk)], await StoredChunk(streamId, 1));

        await fixture.Cluster.DeactivateAsync(grain);

        var page = await grain.GetTokens(0);
        Assert.True(page.Complete);
        Assert.Equal(sent, page.Tokens);
        Assert.Equal(sent.Length + 1, await grain.Append("next"));
    }

    [Fact]
    public async Task A_state_stored_before_chunks_reads_back_whole_and_is_chunked_from_then_on()
    {
        var (threadId, runId, streamId, grain) = await fixture.NewStream();
        await fixture.Cluster.DeactivateAsync(grain);
        var old = Tokens(Chunk + 44);
        var (text, lengths) = Pack(old);
        var stored = await fixture.ReadStoredStream(streamId);
        await fixture.WriteStoredStream(streamId, new StreamState
        {
            // The shape a stream had before chunks: the whole window in TokenText, no chunk fields.
            Phase = StreamPhase.Open,
            ThreadId = threadId,
            RunId = runId,
            LastSequence = old.Length,
            TokenText = text,
            TokenLengths = lengths,
            Settled = true,
            StartedAt = stored.State.StartedAt,
            LastActivityAt = DateTimeOffset.UtcNow,
        });

        Assert.Equal(old, (await grain.GetTokens(0)).Tokens);
        Assert.Equal(old.Length + 1, await grain.Append("new"));

        var head = await Eventually.Get(async () => (await fixture.ReadStoredStream(streamId)).State,
            s => s.LastSequence == old.Length + 1, because: "the next checkpoint stores the new token");
        Assert.Equal(Chunk, head.SealedThrough);
        Assert.Equal([.. old[Chunk..], "new"], head.Tokens);
        Assert.Equal(old[..Chunk], await StoredChunk(streamId, 0));
    }

    [Fact]
    public async Task A_chunk_a_crash_left_behind_the_window_is_deleted_by_the_next_activation()
    {
        var (_, _, streamId, grain) = await fixture.NewStream();
        var sent = Tokens(3 * Chunk + 5);
        await grain.AppendMany(1, sent);
        await fixture.Cluster.DeactivateAsync(grain);
        var (_, stored) = await fixture.ReadStoredStream(streamId);
        Assert.Equal(sent.Length, stored.LastSequence);
        Assert.Equal(0, stored.FirstChunk);

        // What a silo that died between storing a head whose window starts at chunk 2 and deleting chunks 0 and 1 leaves.
        stored.FirstChunk = 2;
        await fixture.WriteStoredStream(streamId, stored);

        Assert.Equal(sent[(2 * Chunk)..], (await grain.GetTokens(0)).Tokens);
        Assert.Equal(sent.Length + 1, await grain.Append("next"));
        await Eventually.True(async () => await StoredChunk(streamId, 0) is null && await StoredChunk(streamId, 1) is null,
            because: "the next stored head deletes the chunks it does not name");
        Assert.Equal(sent[(2 * Chunk)..(3 * Chunk)], await StoredChunk(streamId, 2));
    }

    private static string[] Tokens(int count) => [.. Enumerable.Range(1, count).Select(i => $"t{i}{(i % 7 == 0 ? "é🙂" : "")} ")];

    private static (string Text, byte[] Lengths) Pack(string[] tokens)
    {
        var lengths = new List<byte>();
        foreach (var token in tokens)
        {
            var buffer = new byte[5];
            lengths.AddRange(buffer[..PackedTokens.WriteVarint(buffer, 0, token.Length)]);
        }

        return (string.Concat(tokens), [.. lengths]);
    }

    private IGrainStorage Storage => fixture.Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(StorageNames.Grains);

    private GrainId IdOf(string streamId) => fixture.Client.GetGrain<IStreamGrain>(streamId).GetGrainId();

    private async Task<string[]?> StoredChunk(string streamId, long index)
    {
        var record = new GrainState<StreamTokenChunk>();
        await Storage.ReadStateAsync($"stream.chunk.{index}", IdOf(streamId), record);
        return record.RecordExists ? PackedTokens.Unpack(record.State!.Text, record.State.Lengths) : null;
    }
}
