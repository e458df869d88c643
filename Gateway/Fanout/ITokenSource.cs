namespace ReHome.Gateway.Fanout;

/// <summary>Where a stream's history comes from when the fan-out fills a gap: the stream grain, or a fake in tests.</summary>
internal interface ITokenSource
{
    /// <summary>The stream's tokens after <paramref name="afterSequence"/>, or null when the stream does not exist (any more).</summary>
    Task<TokenPage?> GetTokens(string streamId, long afterSequence);
}
