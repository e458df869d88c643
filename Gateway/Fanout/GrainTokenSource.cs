namespace ReHome.Gateway.Fanout;

/// <summary>A stream's history from its stream grain.</summary>
internal sealed class GrainTokenSource(IGrainFactory grains, TimeProvider time) : ITokenSource
{
    /// <summary>
    /// How long a fill waits for the grain before it asks again. A call in flight to a silo that just died is never
    /// answered, and the thread's events wait behind the fill.
    /// </summary>
    public static readonly TimeSpan FillHedgeDelay = TimeSpan.FromSeconds(1);

    public async Task<TokenPage?> GetTokens(string streamId, long afterSequence)
    {
        try
        {
            return await Hedged(grains.GetGrain<IStreamGrain>(streamId), afterSequence);
        }
        catch (StreamNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Unanswered after <see cref="FillHedgeDelay"/>, the same call is sent again (a silo that just died holds the
    /// first one, and the second reaches the grain's new activation) and the first answer wins. The first call is
    /// never abandoned: on a starved machine a grain that answers in more than the delay must still fill the gap, not
    /// see every fill given up and retried behind a growing backlog.
    /// </summary>
    private async Task<TokenPage> Hedged(IStreamGrain grain, long afterSequence)
    {
        var first = grain.GetTokens(afterSequence).AsTask();
        using (var hedge = new CancellationTokenSource())
        {
            if (await Task.WhenAny(first, Task.Delay(FillHedgeDelay, time, hedge.Token)) == first)
            {
                await hedge.CancelAsync();
                return await first;
            }
        }

        var second = grain.GetTokens(afterSequence).AsTask();
        var answered = await Task.WhenAny(first, second);
        var other = answered == first ? second : first;
        if (!answered.IsCompletedSuccessfully)
        {
            // That one failed (its silo died); the other may still answer, and its failure is the one to report.
            _ = answered.Exception;
            return await other;
        }

        _ = other.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return answered.Result;
    }
}
