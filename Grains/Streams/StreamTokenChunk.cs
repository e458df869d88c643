namespace ReHome.Grains;

/// <summary>
/// One sealed chunk of a stream's tokens as stored (see <see cref="TokenChunks"/>): packed like
/// <see cref="StreamState.TokenText"/>, ending at the chunk's last sequence. Written once, never changed.
/// </summary>
[GenerateSerializer, Alias("rehome.StreamTokenChunk")]
public sealed class StreamTokenChunk
{
    [Id(0)] public string Text { get; set; } = "";
    [Id(1)] public byte[] Lengths { get; set; } = [];
}
