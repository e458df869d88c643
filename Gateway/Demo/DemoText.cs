using System.Globalization;

namespace ReHome.Gateway.Demo;

/// <summary>The demo answer, cut into LLM-like tokens of 1–8 characters, never inside a character.</summary>
internal static class DemoText
{
    public const string Answer =
        "## How ReHome streams an answer 🚀\n\n" +
        "A backend calls the cluster once per token. Each response stream is an Orleans grain that numbers its tokens " +
        "1, 2, 3… in its own single-threaded turns, so there are **no gaps and no duplicates**, even with many callers. " +
        "The grain publishes them to the thread's feed, and every gateway that has a viewer on that thread forwards " +
        "them over SignalR.\n\n" +
        "Browsers track the last sequence they have:\n\n" +
        "- after a reconnect, they ask for what is missing;\n" +
        "- when a number is skipped, they fetch it before going on;\n" +
        "- so nothing is shown twice and nothing is lost.\n\n" +
        "```js\n" +
        "ReHome.connect({ accessTokenFactory: () => fetchMyJwt() });\n" +
        "```\n\n" +
        "| Text | Arrives |\n" +
        "|---|---|\n" +
        "| 你好，世界！ こんにちは。 | intact |\n" +
        "| Ünïcödé, émoji 👩‍💻 | intact |\n\n" +
        "Scroll up while this streams: the view stays where you put it, and follows again once you are back at the bottom. " +
        "Press *Stop* to end it for every tab that watches. ✅";

    public static IReadOnlyList<string> Tokens(int seed = 7)
    {
        var random = new Random(seed);
        var elements = new List<string>();
        var enumerator = StringInfo.GetTextElementEnumerator(Answer);
        while (enumerator.MoveNext())
        {
            elements.Add(enumerator.GetTextElement());
        }

        var tokens = new List<string>();
        for (var i = 0; i < elements.Count;)
        {
            var length = Math.Min(random.Next(1, 9), elements.Count - i);
            tokens.Add(string.Concat(elements.GetRange(i, length)));
            i += length;
        }

        return tokens;
    }
}
