using System.Collections.Concurrent;
using ReHome.Grains;

namespace ReHome.Gateway.Quotas;

/// <summary>
/// A token bucket per key (a user's hub calls, a service key's producer requests, an address's token page requests),
/// refilled by <c>perSecond</c> up to <c>burst</c> as it is read. No timer: ASP.NET Core's partitioned limiter woke
/// an idle gateway every 100 ms, and its auto-replenishing buckets held a one-second timer per key.
/// </summary>
internal sealed class KeyedTokenBuckets
{
    /// <summary>How often a call also drops the buckets that have refilled, so a key seen once does not stay.</summary>
    public static readonly TimeSpan SweepPeriod = TimeSpan.FromSeconds(10);

    private readonly double _perSecond;
    private readonly int _burst;
    private readonly TimeProvider _time;
    private readonly long _sweepTicks;
    private readonly ConcurrentDictionary<string, Entry> _buckets = new(StringComparer.Ordinal);
    private long _nextSweep;

    public KeyedTokenBuckets(double perSecond, int burst, TimeProvider time)
    {
        _perSecond = perSecond;
        _burst = burst;
        _time = time;
        _sweepTicks = (long)(SweepPeriod.TotalSeconds * time.TimestampFrequency);
        _nextSweep = time.GetTimestamp() + _sweepTicks;
    }

    /// <summary>The keys that hold a bucket: those that took from it and have not refilled since the last sweep.</summary>
    public int Count => _buckets.Count;

    /// <summary>Takes one request's worth from the key's bucket; false, and when to try again, when it is empty.</summary>
    public bool TryTake(string key, out TimeSpan retryAfter)
    {
        SweepIfDue();
        while (true)
        {
            var entry = _buckets.GetOrAdd(key, static (_, self) => new Entry(new TokenBucket(self._perSecond, self._burst, self._time)), this);
            lock (entry)
            {
                // Dropped by a sweep between the lookup and the lock: take from the key's new bucket instead.
                if (!entry.Dropped)
                {
                    return entry.Bucket.TryTake(1, out retryAfter);
                }
            }
        }
    }

    private void SweepIfDue()
    {
        var now = _time.GetTimestamp();
        var due = Interlocked.Read(ref _nextSweep);
        if (now < due || Interlocked.CompareExchange(ref _nextSweep, now + _sweepTicks, due) != due)
        {
            return;
        }

        foreach (var (key, entry) in _buckets)
        {
            lock (entry)
            {
                // A full bucket is no different from the new one a later call would get.
                if (entry.Bucket.IsFull())
                {
                    entry.Dropped = true;
                    _buckets.TryRemove(new(key, entry));
                }
            }
        }
    }

    private sealed class Entry(TokenBucket bucket)
    {
        public TokenBucket Bucket { get; } = bucket;

        public bool Dropped { get; set; }
    }
}
