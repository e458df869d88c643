namespace ReHome.Bench.Measure;

/// <summary>
/// A thread-safe latency histogram in microseconds: exact below 1 ms, then 64 buckets per power of two
/// (about 1.5 % resolution), up to about 70 minutes.
/// </summary>
internal sealed class Histogram
{
    private const int Linear = 1024;
    private const int SubBuckets = 64;
    private readonly long[] _counts = new long[Linear + (32 * SubBuckets)];
    private long _count;
    private long _max;

    public long Count => Interlocked.Read(ref _count);

    public void Record(long micros)
    {
        if (micros < 0)
        {
            micros = 0;
        }

        Interlocked.Increment(ref _counts[Index(micros)]);
        Interlocked.Increment(ref _count);
        long max;
        while (micros > (max = Interlocked.Read(ref _max)) && Interlocked.CompareExchange(ref _max, micros, max) != max)
        {
        }
    }

    public void Add(Histogram other)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        _count += other._count;
        _max = Math.Max(_max, other._max);
    }

    /// <summary>The value at percentile <paramref name="p"/> (0–100), in milliseconds; the bucket's upper edge.</summary>
    public double PercentileMs(double p)
    {
        var total = Count;
        if (total == 0)
        {
            return double.NaN;
        }

        var rank = (long)Math.Ceiling(p / 100 * total);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= Math.Max(rank, 1))
            {
                return Math.Min(UpperEdge(i), _max) / 1000.0;
            }
        }

        return _max / 1000.0;
    }

    public double MaxMs => Interlocked.Read(ref _max) / 1000.0;

    private static int Index(long v)
    {
        if (v < Linear)
        {
            return (int)v;
        }

        var exponent = 63 - (int)long.LeadingZeroCount(v); // ≥ 10
        var sub = (int)((v >> (exponent - 6)) & (SubBuckets - 1));
        return Linear + ((exponent - 10) * SubBuckets) + sub;
    }

    private static long UpperEdge(int index)
    {
        if (index < Linear)
        {
            return index;
        }

        var exponent = ((index - Linear) / SubBuckets) + 10;
        var sub = (index - Linear) % SubBuckets;
        return ((long)(SubBuckets + sub + 1) << (exponent - 6)) - 1;
    }
}
