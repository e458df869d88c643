namespace ReHome.Grains;

/// <summary>
/// Tokens as stored: their text one after another and each one's UTF-16 length as an unsigned LEB128 varint.
/// A checkpoint stores a stream's whole retained window, and one string plus a byte array serializes at a small
/// fraction of the cost of hundreds of small strings, each with a field header and a reference-tracking entry.
/// <see cref="TokenHistory.Pack"/> writes this form; <see cref="Unpack"/> reads it back.
/// </summary>
internal static class PackedTokens
{
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

    public static int VarintSize(int value) => value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;

    /// <summary>Writes <paramref name="value"/> at <paramref name="at"/> and returns where the next one goes.</summary>
    public static int WriteVarint(byte[] target, int at, int value)
    {
        var v = (uint)value;
        while (v >= 0x80)
        {
            target[at++] = (byte)(v | 0x80);
            v >>= 7;
        }

        target[at++] = (byte)v;
        return at;
    }
}
