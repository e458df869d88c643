namespace ReHome.Gateway.Fanout;

/// <summary>A stream's history from its stream grain.</summary>
internal sealed class GrainTokenSource(IGrainFactory grains) : ITokenSource
{
    /// <summary>
    /// How long a fill waits for the grain. A call in flight to a silo that just died is never answered, and the
    /// thread's events wait behind the fill: give up sooner than the client's response timeout (3 s) and let the
    /// next event or probe try again, by then on the grain's new activation.
    /// </summary>
    public static readonly TimeSpan FillTimeout = TimeSpan.FromSeconds(1);

    public async Task<TokenPage?> GetTokens(string streamId, long afterSequence)
    {
        try
        {
            return await grains.GetGrain<IStreamGrain>(streamId).GetTokens(afterSequence).AsTask().WaitAsync(FillTimeout);
        }
        catch (StreamNotFoundException)
        {
            return null;
        }
    }
}
