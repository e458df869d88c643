using System.Text;
using ReHome.Grains;

namespace ReHome.Tests.Cluster;

/// <summary>The packed replay window against a plain list with the same trimming rules.</summary>
public sealed class TokenHistoryTests
{
    private static readonly string[] Samples = ["a", " the", "é", "你好", "🙂", "🚀🚀", "", " Orleans", "\n", "€uro"];

    [Theory]
    [InlineData(5, 1_000_000)]
    [InlineData(10_000, 40)]
    [InlineData(3, 7)]
    [InlineData(1, 1)]
    public void Window_matches_a_plain_list_through_appends_trims_and_packing(int maxTokens, long maxBytes)
    {
        var random = new Random(maxTokens * 31 + (int)maxBytes);
        var history = new TokenHistory(maxTokens, maxBytes);
        var model = new List<string>();
        long last = 0;
        for (var step = 0; step < 2_000; step++)
        {
            var token = Samples[random.Next(Samples.Length)] + (random.Next(4) == 0 ? new string('x', random.Next(60)) : "");
            history.Append(token);
            model.Add(token);
            last++;
            while (model.Count > maxTokens || (model.Sum(t => Encoding.UTF8.GetByteCount(t)) > maxBytes && model.Count > 1))
            {
                model.RemoveAt(0);
            }

            Assert.Equal(last, history.LastSequence);
            Assert.Equal(last - model.Count + 1, history.FirstRetained);
            if (step % 13 == 0)
            {
                // A checkpoint packs only part of the window, which may wrap around the ring.
                var from = random.Next(model.Count);
                var to = random.Next(from, model.Count);
                var (part, partLengths) = history.Pack(history.FirstRetained + from, history.FirstRetained + to);
                Assert.Equal(model[from..(to + 1)], PackedTokens.Unpack(part, partLengths));
            }

            if (step % 97 == 0)
            {
                var first = history.FirstRetained;
                Assert.Equal(model, history.After(0).Tokens);
                Assert.Equal(model.Skip(1), history.After(first).Tokens);
                Assert.Equal(model[^1], history.Get(last));
                Assert.Null(history.Get(first - 1));
                Assert.Equal(string.Concat(model), history.Concat());

                var (text, lengths) = history.Pack();
                Assert.Equal(model, PackedTokens.Unpack(text, lengths));

                var restored = new TokenHistory(maxTokens, maxBytes);
                restored.Restore(last, PackedTokens.Unpack(text, lengths));
                Assert.Equal(model, restored.After(0).Tokens);
                Assert.Equal(last, restored.LastSequence);
            }
        }
    }
}
