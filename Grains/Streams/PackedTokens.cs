namespace ReHome.Grains;

/// <summary>
/// Tokens as stored: their text one after another and each one's UTF-16 length as an unsigned LEB128 varint.
/// A checkpoint stores a stream's whole retained window, and one string plus a byte array serializes at a small
/// fraction of the cost of hundreds of small strings, each with a field header and a reference-tracking entry.
/// </summary>
internal static class PackedTokens
{
    public static (string Text, byte[] Lengths) Pack(ArraySegment<string> first, ArraySegment<string> second)
    {
        var chars = 0;
        var bytes = 0;
        foreach (var token in first)
        {
            chars += token.Length;
            bytes += VarintSize(token.Length);
        }

        foreach (var token in second)
        {
            chars += token.Length;
            bytes += VarintSize(token.Length);
        }

        var lengths = new byte[bytes];
        var text = string.Create(chars, (first, second, lengths), static (span, state) =>
        {
            var at = 0;
            var lengthAt = 0;
            Write(state.first, span, state.lengths, ref at, ref lengthAt);
            Write(state.second, span, state.lengths, ref at, ref lengthAt);
        });
        return (text, lengths);
    }

    public static string[] Unpack(string text, byte[] lengths)
    {
        var count = 0;
        foreach (var b in lengths)
        {
            count += b < 0x80 ? 1 : 0;
        }

        var tokens = new string[count];
        var at = 0;
        var i = 0;
        var index = 0;
        while (i < lengths.Length)
        {
            var length = 0;
            var shift = 0;
            byte b;
            do
            {
                b = lengths[i++];
                length |= (b & 0x7F) << shift;
                shift += 7;
            }
            while (b >= 0x80);

            tokens[index++] = text.Substring(at, length);
            at += length;
        }

        if (at != text.Length)
        {
            throw new InvalidDataException($"Stored token lengths add up to {at} characters, but the text has {text.Length}.");
        }

        return tokens;
    }

    private static void Write(ArraySegment<string> tokens, Span<char> text, byte[] lengths, ref int at, ref int lengthAt)
    {
        foreach (var token in tokens)
        {
            token.CopyTo(text[at..]);
            at += token.Length;
            var value = (uint)token.Length;
            while (value >= 0x80)
            {
                lengths[lengthAt++] = (byte)(value | 0x80);
                value >>= 7;
            }

            lengths[lengthAt++] = (byte)value;
        }
    }

    private static int VarintSize(int value) => value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}
