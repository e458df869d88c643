namespace ReHome.Bench.Load;

/// <summary>
/// What one producer sent on one stream: when each sequence was handed to the producer (Stopwatch ticks), how
/// many were sent and acknowledged. Token <c>k</c> of a stream is the stream's <c>k</c>-th call, so its sequence is <c>k</c>.
/// </summary>
internal sealed class StreamLedger(int index, string threadId, string streamId, int capacity)
{
    private long[] _sentAt = new long[capacity + 1];
    private int _acked;
    private int _failed;
    private int _misnumbered;

    public int Index { get; } = index;

    public string ThreadId { get; } = threadId;

    public string StreamId { get; } = streamId;

    /// <summary>Calls made; written only by the scheduler.</summary>
    public int Sent { get; private set; }

    public int Acked => Volatile.Read(ref _acked);

    public int Failed => Volatile.Read(ref _failed);

    public int Misnumbered => Volatile.Read(ref _misnumbered);

    public Exception? FirstError { get; private set; }

    /// <summary>Records the call time of the next token and returns its sequence.</summary>
    public long NextSent(long timestamp)
    {
        var sequence = Sent + 1;
        if (sequence >= _sentAt.Length)
        {
            Array.Resize(ref _sentAt, _sentAt.Length * 2);
        }

        _sentAt[sequence] = timestamp;
        Sent = sequence;
        return sequence;
    }

    public long SentAt(long sequence) => sequence > 0 && sequence < _sentAt.Length ? Volatile.Read(ref _sentAt[sequence]) : 0;

    public void Track(Task<long> send, long expectedSequence) =>
        send.ContinueWith(static (t, state) =>
        {
            var (ledger, expected) = ((StreamLedger, long))state!;
            if (t.IsCompletedSuccessfully)
            {
                if (t.Result != expected)
                {
                    Interlocked.Increment(ref ledger._misnumbered);
                }

                Interlocked.Increment(ref ledger._acked);
            }
            else
            {
                ledger.FirstError ??= t.Exception?.GetBaseException();
                Interlocked.Increment(ref ledger._failed);
            }
        }, (this, expectedSequence), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    public bool Settled => Acked + Failed >= Sent;
}
