namespace ReHome.Bench.Load;

/// <summary>
/// Realistic model tokens, 1–8 characters, about a fifth of them multi-byte (accents, CJK, emoji outside the BMP).
/// Token <c>n</c> of stream <c>s</c> is a pure function of both, so a viewer checks each text without a copy.
/// </summary>
internal static class Tokens
{
    private static readonly string[] Vocabulary =
    [
        " the", " a", " of", " and", " to", " in", " is", " that", " for", " it", " stream", " token", "ing", "ed",
        " model", " answer", ".", ",", " (", ")", ":", "\n", " 42", "0", " cluster", " Orleans", " we", " you",
        " can", " will", "'s", " user", " data", " fast", "ly", " order", " with", " on", " be", " this",
        " café", " naïve", "é", " über", "ñ", " façade", " 東京", "你好", "世界", " 数据", "こんにちは", "ありがとう",
        "🙂", "🚀", " 👍", "✨", "🎉🎉", " 🤖", "Ω", " π", "€", " —", "…", " “ok”",
    ];

    public static string For(int stream, long sequence)
    {
        var h = (ulong)(stream + 1) * 0x9E3779B97F4A7C15UL ^ (ulong)sequence * 0xC2B2AE3D27D4EB4FUL;
        h ^= h >> 29;
        return Vocabulary[(int)(h % (ulong)Vocabulary.Length)];
    }
}
