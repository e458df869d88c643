using ReHome.Gateway.Fanout;

namespace ReHome.Tests.Fanout;

/// <summary>Stream histories held in memory, standing in for the stream grains' <c>GetTokens</c>.</summary>
internal sealed class FakeHistory : ITokenSource
{
    private readonly Dictionary<string, (List<string> Tokens, bool Done, string? FullResponse)> _streams = [];

    /// <summary>Every call, as (stream, after).</summary>
    public List<(string StreamId, long After)> Calls { get; } = [];

    public void Has(string streamId, int tokens, bool done = false) =>
        _streams[streamId] = ([.. Enumerable.Range(1, tokens).Select(Token)], done, done ? string.Concat(Enumerable.Range(1, tokens).Select(Token)) : null);

    public static string Token(int sequence) => $"w{sequence} ";

    /// <summary>Streams whose grain does not answer (its silo hangs): asking throws.</summary>
    public HashSet<string> NotAnswering { get; } = [];

    public Task<TokenPage?> GetTokens(string streamId, long afterSequence)
    {
        Calls.Add((streamId, afterSequence));
        if (NotAnswering.Contains(streamId))
        {
            throw new TimeoutException($"Stream '{streamId}' did not answer.");
        }

        if (!_streams.TryGetValue(streamId, out var stream))
        {
            return Task.FromResult<TokenPage?>(null);
        }

        var tokens = stream.Tokens.Skip((int)afterSequence).ToArray();
        return Task.FromResult<TokenPage?>(new TokenPage(streamId, "t", "r", afterSequence + 1, tokens, stream.Tokens.Count, true,
            stream.Done, stream.Done ? StreamEndReason.Completed : null, stream.FullResponse, null));
    }
}

/// <summary>What a sequencer forwarded, flattened to messages in order.</summary>
internal sealed class RecordingOutput : IThreadOutput
{
    public List<TokenMessage> Messages { get; } = [];

    public void Forward(TokensAppended published, int skip)
    {
        for (var i = skip; i < published.Tokens.Length; i++)
        {
            Messages.Add(TokenMessage.ForToken(published, published.FirstSequence + i, published.Tokens[i]));
        }
    }

    public void Forward(TokenMessage[] messages) => Messages.AddRange(messages);

    public IEnumerable<(string Stream, long Sequence, bool Done)> Seen => Messages.Select(m => (m.StreamId, m.Sequence, m.Done));
}
