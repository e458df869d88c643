using System.Text.RegularExpressions;

namespace ReHome.Tests.Infrastructure;

/// <summary>
/// The console log of a ReHome process run by <see cref="ChildProcess"/>: the simple formatter, one line per entry,
/// <c>HH:mm:ss.fff level: Category[event] message</c> (an exception's stack follows on its own lines).
/// </summary>
public static partial class ConsoleLog
{
    /// <summary>Environment settings that give that format.</summary>
    public static readonly IReadOnlyDictionary<string, string> Settings = new Dictionary<string, string>
    {
        ["Logging__Console__FormatterName"] = "simple",
        ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
        ["Logging__Console__FormatterOptions__SingleLine"] = "true",
    };

    /// <summary>The entries logged at warning, error or critical.</summary>
    public static List<string> AtWarningOrAbove(string logFile) =>
        [.. File.ReadLines(logFile).Where(line => Entry().Match(line) is { Success: true } m && m.Groups["level"].Value is "warn" or "fail" or "crit")];

    [GeneratedRegex(@"^\d\d:\d\d:\d\d\.\d{3} (?<level>trce|dbug|info|warn|fail|crit): ")]
    private static partial Regex Entry();
}
