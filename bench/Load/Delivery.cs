using System.Collections.Concurrent;
using System.Diagnostics;
using ReHome.Bench.Measure;

namespace ReHome.Bench.Load;

/// <summary>
/// Shared by all viewers of a run: which stream ids belong to which ledger, the delay histogram for tokens sent
/// inside the measured window, and the count of receipts inside it.
/// </summary>
internal sealed class Delivery
{
    private long _windowStart = long.MaxValue;
    private long _windowEnd = long.MaxValue;
    private long _receivedInWindow;
    private long _unknownStream;

    public ConcurrentDictionary<string, StreamLedger> Ledgers { get; } = new();

    public Histogram Delay { get; } = new();

    public long ReceivedInWindow => Interlocked.Read(ref _receivedInWindow);

    public long UnknownStream => Interlocked.Read(ref _unknownStream);

    public void OpenWindow(long start, long end)
    {
        Volatile.Write(ref _windowEnd, end);
        Volatile.Write(ref _windowStart, start);
    }

    public StreamLedger? Find(string streamId)
    {
        if (Ledgers.TryGetValue(streamId, out var ledger))
        {
            return ledger;
        }

        Interlocked.Increment(ref _unknownStream);
        return null;
    }

    public void Received(StreamLedger ledger, long sequence, long now)
    {
        var start = Volatile.Read(ref _windowStart);
        var end = Volatile.Read(ref _windowEnd);
        if (now >= start && now < end)
        {
            Interlocked.Increment(ref _receivedInWindow);
        }

        var sentAt = ledger.SentAt(sequence);
        if (sentAt >= start && sentAt < end)
        {
            Delay.Record((now - sentAt) * 1_000_000 / Stopwatch.Frequency);
        }
    }
}
