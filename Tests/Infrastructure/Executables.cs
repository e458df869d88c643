namespace ReHome.Tests.Infrastructure;

public static class Executables
{
    /// <summary>The program's path on <c>PATH</c>, as the shell finds it; null when it is not installed.</summary>
    public static string? Which(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);
}
