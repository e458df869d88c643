using System.Globalization;

namespace ReHome;

/// <summary>
/// How the hub writes a time: an ISO 8601 string in UTC with millisecond precision (<c>2026-12-03T13:41:25.993Z</c>),
/// exactly what JavaScript's <c>Date.prototype.toISOString()</c> writes. A <see cref="DateTimeOffset"/> field would go
/// out as a string in JSON but as <c>[timestamp, offset]</c> in MessagePack; a string is the same in both.
/// </summary>
public static class WireTime
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static string From(DateTimeOffset time) => time.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.ParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
