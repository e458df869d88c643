namespace ReHome.Gateway.Fanout;

/// <summary>A stream's history from its stream grain.</summary>
internal sealed class GrainTokenSource(IGrainFactory grains) : ITokenSource
{
    public async Task<TokenPage?> GetTokens(string streamId, long afterSequence)
    {
        try
        {
            return await grains.GetGrain<IStreamGrain>(streamId).GetTokens(afterSequence);
        }
        catch (StreamNotFoundException)
        {
            return null;
        }
    }
}
