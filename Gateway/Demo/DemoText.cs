using System.Globalization;

namespace ReHome.Gateway.Demo;

/// <summary>The demo answer, cut into LLM-like tokens of 1–8 characters, never inside a character.</summary>
internal static class DemoText
{
    public const string Answer =
        "Here is how ReHome streams an answer. 🚀\n\n" +
        "A backend calls the cluster once per token. Each response stream is an Orleans grain that numbers its tokens " +
        "1, 2, 3… in its own single-threaded turns, so there are no gaps and no duplicates, even with many callers. " +
        "The grain publishes them to the thread's stream, and every gateway that has a viewer on that thread forwards " +
        "them over SignalR.\n\n" +
        "Browsers track the last sequence they have. After a reconnect, or when a number is skipped, they ask for what " +
        "is missing, so nothing is shown twice and nothing is lost. 你好，世界！ こんにちは。 Ünïcödé, émoji 👩‍💻 and " +
        "CJK arrive intact.\n\n" +
        "Scroll up while this streams: the view stays where you put it, and follows again once you are back at the bottom. ✅";

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
