namespace ReHome;

/// <summary>
/// The one rule for sequence numbers a caller sends (<c>afterSequence</c>, <c>sequence</c>, <c>lastSequence</c>):
/// 0 to <see cref="Max"/>. Browsers hold sequences as JavaScript numbers, exact only up to 2^53 − 1, so no stream
/// gets further; anything larger is a mistake or a probe, refused rather than wrapped around.
/// </summary>
public static class Sequences
{
    public const long Max = 9_007_199_254_740_991;

    /// <exception cref="InvalidRequestException">The number is below <paramref name="min"/> or above <see cref="Max"/>.</exception>
    public static void Validate(long value, string field, long min = 0)
    {
        if (value < min || value > Max)
        {
            throw new InvalidRequestException(field, $"{field} must be {min}–{Max}.");
        }
    }
}
