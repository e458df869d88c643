namespace ReHome.Grains;

/// <summary>
/// A token-bucket rate limiter for one grain (single-threaded by the actor turn, so no locking).
/// Takes all requested permits or none, so a refused request stores nothing.
/// </summary>
internal sealed class TokenBucket
{
    private readonly double _ratePerSecond;
    private readonly double _capacity;
    private readonly TimeProvider _time;
    private double _available;
    private long _lastRefill;

    public TokenBucket(double ratePerSecond, double capacity, TimeProvider time)
    {
        _ratePerSecond = ratePerSecond;
        _capacity = capacity;
        _time = time;
        _available = capacity;
        _lastRefill = time.GetTimestamp();
    }

    /// <summary>
    /// Takes <paramref name="permits"/> (at most the capacity), or returns false and how long until they would be available.
    /// </summary>
    public bool TryTake(int permits, out TimeSpan retryAfter)
    {
        var now = _time.GetTimestamp();
        _available = Math.Min(_capacity, _available + _time.GetElapsedTime(_lastRefill, now).TotalSeconds * _ratePerSecond);
        _lastRefill = now;

        if (permits <= _available)
        {
            _available -= permits;
            retryAfter = TimeSpan.Zero;
            return true;
        }

        retryAfter = TimeSpan.FromSeconds((permits - _available) / _ratePerSecond);
        return false;
    }
}
