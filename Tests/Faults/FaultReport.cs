using Xunit.Abstractions;

namespace ReHome.Tests.Faults;

/// <summary>
/// Where the fault tests put what they measured: the test output, and <c>fault-report.txt</c> beside the test
/// assembly so a CI run can print it.
/// </summary>
internal static class FaultReport
{
    private static readonly object Gate = new();

    public static string File => Path.Combine(AppContext.BaseDirectory, "fault-report.txt");

    public static void Write(ITestOutputHelper output, string test, string line)
    {
        output.WriteLine(line);
        lock (Gate)
        {
            System.IO.File.AppendAllText(File, $"{DateTime.UtcNow:O} {test}: {line}{Environment.NewLine}");
        }
    }
}
