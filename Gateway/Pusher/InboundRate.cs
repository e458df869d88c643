namespace ReHome.Gateway.Pusher;

/// <summary>A token bucket for one connection's messages: <c>rate</c> per second on average, <c>burst</c> at once.</summary>
internal sealed class InboundRate(double rate, int burst, TimeProvider time)
{
    private double _tokens = burst;
    private long _refilledAt = time.GetTimestamp();

    /// <summary>Takes one message's worth; false when the client is over its rate. Called from the receive loop only.</summary>
    public bool TryTake()
    {
        var now = time.GetTimestamp();
        _tokens = Math.Min(burst, _tokens + time.GetElapsedTime(_refilledAt, now).TotalSeconds * rate);
        _refilledAt = now;
        if (_tokens < 1)
        {
            return false;
        }

        _tokens--;
        return true;
    }
}
