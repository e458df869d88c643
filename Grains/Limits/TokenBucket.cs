namespace ReHome.Grains;

/// <summary>
/// A token-bucket rate limiter, refilled continuously as it is read, so it needs no timer. Not thread-safe: a grain
/// uses it inside its turns, a socket from its receive loop, and <c>KeyedTokenBuckets</c> under a lock.
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
        Refill();
        if (permits <= _available)
        {
            _available -= permits;
            retryAfter = TimeSpan.Zero;
            return true;
        }

        retryAfter = TimeSpan.FromSeconds((permits - _available) / _ratePerSecond);
        return false;
    }

    /// <summary>True when the bucket has refilled to its capacity, and so is no different from a new one.</summary>
    public bool IsFull()
    {
        Refill();
        return _available >= _capacity;
    }

    private void Refill()
    {
        var now = _time.GetTimestamp();
        _available = Math.Min(_capacity, _available + _time.GetElapsedTime(_lastRefill, now).TotalSeconds * _ratePerSecond);
        _lastRefill = now;
    }
}
