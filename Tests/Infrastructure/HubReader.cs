using System.Text.Json;

namespace ReHome.Tests.Infrastructure;

/// <summary>
/// What a hand-written hub client (<see cref="RawHubSocket"/>) shows of one stream when it reads again after a
/// pause: tokens in sequence order, each once; on <c>agent.thread.behind</c> it asks <c>GetTokens</c> from its last
/// sequence, as the browser client does.
/// </summary>
public sealed class HubReader(RawHubSocket socket, string streamId)
{
    private readonly SortedDictionary<long, string> _ahead = [];
    private readonly List<string> _tokens = [];
    private readonly HashSet<string> _fills = [];

    public IReadOnlyList<string> Tokens => _tokens;

    public int BehindNotices { get; private set; }

    public bool Done { get; private set; }

    /// <summary>Reads until the stream's done event has been applied; false when the gateway closed the connection first.</summary>
    public async Task<bool> ReadToEnd(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Done)
        {
            if (await socket.Read(deadline - DateTime.UtcNow) is not { } message)
            {
                return false;
            }

            await Apply(message);
        }

        return true;
    }

    private async Task Apply(JsonElement message)
    {
        switch (message.GetProperty("type").GetInt32())
        {
            case 1 when message.GetProperty("target").GetString() is { } target:
                var argument = message.GetProperty("arguments")[0];
                if (target == HubContract.TokenEvent)
                {
                    Live(argument);
                }
                else if (target == HubContract.TokensEvent)
                {
                    foreach (var item in argument.EnumerateArray())
                    {
                        Live(item);
                    }
                }
                else if (target == HubContract.BehindEvent && argument.GetProperty("streamId").GetString() == streamId)
                {
                    BehindNotices++;
                    _fills.Add(await socket.Send(HubContract.GetTokens, streamId, (long)_tokens.Count));
                }

                break;
            case 3 when _fills.Remove(message.GetProperty("invocationId").GetString()!):
                var page = message.GetProperty("result");
                var first = page.GetProperty("firstSequence").GetInt64();
                var i = 0L;
                foreach (var token in page.GetProperty("tokens").EnumerateArray())
                {
                    Token(first + i++, token.GetString()!);
                }

                Done |= page.GetProperty("done").GetBoolean() && page.GetProperty("lastSequence").GetInt64() == _tokens.Count;
                break;
        }
    }

    private void Live(JsonElement message)
    {
        if (message.GetProperty("streamId").GetString() != streamId)
        {
            return;
        }

        var sequence = message.GetProperty("sequence").GetInt64();
        if (message.GetProperty("done").GetBoolean())
        {
            Done |= sequence == _tokens.Count;
            return;
        }

        Token(sequence, message.GetProperty("token").GetString()!);
    }

    private void Token(long sequence, string token)
    {
        // What it already has (a fill overlapping live messages) is dropped.
        if (sequence <= _tokens.Count || !_ahead.TryAdd(sequence, token))
        {
            return;
        }

        while (_ahead.Remove(_tokens.Count + 1, out var next))
        {
            _tokens.Add(next);
        }
    }
}
