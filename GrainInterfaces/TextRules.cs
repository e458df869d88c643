namespace ReHome;

/// <summary>
/// Checks a token or text before anything is stored: null, length, and well-formed UTF-16. Edges (the producer
/// SDK, the HTTP API) check too, because the Orleans wire encodes strings as UTF-8 and would replace a lone
/// surrogate with U+FFFD before the grain could see it.
/// </summary>
public static class TextRules
{
    public static void ValidateToken(string? token, string field, int maxChars)
    {
        if (token is null)
        {
            throw new InvalidRequestException(field, $"{field} must not be null.");
        }

        // Code points never outnumber UTF-16 units, so only long strings need counting.
        if (token.Length > maxChars && CountCodePoints(token) > maxChars)
        {
            throw new InvalidRequestException(field, $"{field} has more than {maxChars} characters.");
        }

        EnsureWellFormed(token, field);
    }

    /// <summary>
    /// A lone surrogate cannot be encoded as UTF-8: it would reach browsers as U+FFFD, silently changed.
    /// </summary>
    public static void EnsureWellFormed(string text, string field)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (!char.IsSurrogate(c))
            {
                continue;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            throw new InvalidRequestException(field, $"{field} holds an unpaired surrogate at index {i}; it is not valid Unicode.");
        }
    }

    private static int CountCodePoints(string text)
    {
        var count = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }

            count++;
        }

        return count;
    }
}
