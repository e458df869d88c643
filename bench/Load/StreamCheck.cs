namespace ReHome.Bench.Load;

/// <summary>
/// What one viewer received of one stream: every sequence once, in order, with the sent text, then the done event.
/// Touched only by that viewer's connection, whose handlers SignalR runs one at a time.
/// </summary>
internal sealed class StreamCheck(StreamLedger ledger)
{
    private ulong[] _seen = new ulong[64];

    public StreamLedger Ledger { get; } = ledger;

    public long MaxSeen { get; private set; }

    public int Distinct { get; private set; }

    public int Duplicates { get; private set; }

    public int OutOfOrder { get; private set; }

    public int Corrupted { get; private set; }

    public bool Done { get; private set; }

    public long DoneSequence { get; private set; }

    /// <summary>Tokens that arrived after the done event.</summary>
    public int AfterDone { get; private set; }

    public void Token(long sequence, string? token)
    {
        if (Done)
        {
            AfterDone++;
        }

        var word = (int)(sequence >> 6);
        if (sequence < 1)
        {
            Corrupted++;
            return;
        }

        if (word >= _seen.Length)
        {
            Array.Resize(ref _seen, Math.Max(word + 1, _seen.Length * 2));
        }

        var bit = 1UL << (int)(sequence & 63);
        if ((_seen[word] & bit) != 0)
        {
            Duplicates++;
            return;
        }

        _seen[word] |= bit;
        Distinct++;
        if (sequence < MaxSeen)
        {
            OutOfOrder++;
        }

        MaxSeen = Math.Max(MaxSeen, sequence);
        if (token != Tokens.For(Ledger.Index, sequence))
        {
            Corrupted++;
        }
    }

    public void Ended(long lastSequence)
    {
        Done = true;
        DoneSequence = lastSequence;
    }

    /// <summary>Sent sequences never received.</summary>
    public int Lost
    {
        get
        {
            var lost = 0;
            for (long s = 1; s <= Ledger.Sent; s++)
            {
                var word = (int)(s >> 6);
                if (word >= _seen.Length || (_seen[word] & (1UL << (int)(s & 63))) == 0)
                {
                    lost++;
                }
            }

            return lost;
        }
    }
}
