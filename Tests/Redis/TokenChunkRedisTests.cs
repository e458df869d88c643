using ReHome.Grains;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Redis;

/// <summary>Sealed token chunks in Redis: one key each, deleted when the replay window drops them and at retention.</summary>
[Collection(RedisClusterCollection.Name)]
public sealed class TokenChunkRedisTests(RedisClusterFixture fixture)
{
    private const int Chunk = TokenChunks.DefaultChunkTokens;

    [SkippableFact]
    public async Task Chunks_the_window_dropped_are_deleted_and_retention_deletes_the_rest()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var (_, _, streamId, grain) = await fixture.NewStream();

        // 1,000-character tokens, so the default 1 MB window holds about 1,048 of them.
        string Token(int i) => $"{i:D6}" + new string('x', 994);
        await grain.AppendMany(1, [.. Enumerable.Range(1, 2 * Chunk + 10).Select(Token)]);
        await Eventually.True(async () => (await fixture.ReadStoredStream(streamId)).State.SealedThrough == 2 * Chunk,
            because: "the first two chunks are sealed");
        Assert.Equal(2, (await ChunkKeys(streamId)).Length);

        var next = 2 * Chunk + 11;
        while (next <= 1600)
        {
            var batch = Enumerable.Range(next, Math.Min(500, 1601 - next)).Select(Token).ToArray();
            await Eventually.Get(async () =>
            {
                try
                {
                    return (await grain.AppendMany(next, batch)).LastSequence;
                }
                catch (RateLimitedException)
                {
                    return 0;
                }
            }, last => last > 0, because: "the append fits the stream's rate");
            next += batch.Length;
        }

        var head = await Eventually.Get(async () => (await fixture.ReadStoredStream(streamId)).State,
            s => s.LastSequence == 1600, because: "the checkpoint stores every token");
        var page = await grain.GetTokens(0);
        Assert.False(page.Complete);
        Assert.Equal(head.FirstChunk, (page.FirstSequence - 1) / Chunk);
        Assert.True(head.FirstChunk >= 2, "the window has moved past the first two chunks");
        var keys = await Eventually.Get(async () => await ChunkKeys(streamId),
            k => k.Length == head.SealedThrough / Chunk - head.FirstChunk, because: "chunks out of the window are deleted");
        Assert.DoesNotContain(keys, k => k.EndsWith("stream.chunk.0", StringComparison.Ordinal) || k.EndsWith("stream.chunk.1", StringComparison.Ordinal));

        await grain.End(fullResponse: "the end");
        await Eventually.True(async () => (await fixture.StateKeys(streamId)).Length == 0, because: "retention deletes the head and every chunk");
    }

    private async Task<string[]> ChunkKeys(string streamId) =>
        [.. (await fixture.StateKeys(streamId)).Select(k => k.ToString()).Where(k => k.Contains("stream.chunk.", StringComparison.Ordinal))];
}
