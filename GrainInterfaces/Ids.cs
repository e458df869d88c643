using System.Buffers;

namespace ReHome;

/// <summary>
/// The one rule for stream, thread and run ids: 1–128 characters of <c>[A-Za-z0-9_-]</c>.
/// The old design stripped other characters, which could merge two different streams; here they are refused.
/// </summary>
public static class Ids
{
    public const int MaxLength = 128;

    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");

    public static bool IsValid(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= MaxLength && !id.AsSpan().ContainsAnyExcept(Allowed);

    /// <exception cref="InvalidRequestException">The id is empty, too long or holds other characters.</exception>
    public static void Validate(string? id, string field)
    {
        if (string.IsNullOrEmpty(id))
        {
            throw new InvalidRequestException(field, $"{field} is required.");
        }

        if (!IsValid(id))
        {
            throw new InvalidRequestException(field,
                $"{field} must be 1–{MaxLength} characters of A–Z, a–z, 0–9, '_' or '-'.");
        }
    }
}
