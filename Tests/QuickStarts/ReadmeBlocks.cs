using System.Text.RegularExpressions;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.QuickStarts;

/// <summary>The README's code blocks marked <c>&lt;!-- quickstart:NAME --&gt;</c>, as a reader copies them.</summary>
public static partial class ReadmeBlocks
{
    public static string Get(string name)
    {
        var readme = File.ReadAllText(Path.Combine(GatewayFixture.SolutionDirectory(), "README.md"));
        var match = Block().Matches(readme).SingleOrDefault(m => m.Groups["name"].Value == name)
            ?? throw new InvalidOperationException($"README.md has no block marked <!-- quickstart:{name} -->.");
        return match.Groups["code"].Value;
    }

    /// <summary>What Vite does to a module at build time: <c>import.meta.env.VITE_X</c> becomes the value, as a JS string.</summary>
    public static string WithViteEnvironment(string module, IReadOnlyDictionary<string, string> environment) =>
        ViteVariable().Replace(module, m => environment.TryGetValue(m.Groups[1].Value, out var value)
            ? System.Text.Json.JsonSerializer.Serialize(value)
            : throw new InvalidOperationException($"The block reads {m.Value}, which the test does not set."));

    [GeneratedRegex(@"<!-- quickstart:(?<name>[\w-]+) -->\r?\n```\w*\r?\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex Block();

    [GeneratedRegex(@"import\.meta\.env\.(VITE_\w+)")]
    private static partial Regex ViteVariable();
}
