namespace ReHome.Gateway.Fanout;

/// <summary>
/// Messages of one thread, in order, handed to every connection watching the thread on this gateway. Each wire
/// format serializes it once (<see cref="Prepare{T}"/>), and every connection of that format writes those bytes.
/// </summary>
internal sealed class OutboundBatch(string threadId, TokenMessage[] messages)
{
    private (object Format, object Prepared)[] _prepared = [];

    public string ThreadId => threadId;

    /// <summary>Tokens and done events, in order; one element is sent as a single message.</summary>
    public TokenMessage[] Messages => messages;

    /// <summary>This batch in <paramref name="format"/>, made on first use and shared by every later caller.</summary>
    public T Prepare<T>(IWireFormat<T> format)
        where T : class
    {
        while (true)
        {
            var current = Volatile.Read(ref _prepared);
            foreach (var (known, prepared) in current)
            {
                if (ReferenceEquals(known, format))
                {
                    return (T)prepared;
                }
            }

            // Two connections may race to prepare the same format; one result wins, the other was wasted work.
            var made = format.Prepare(this);
            if (ReferenceEquals(Interlocked.CompareExchange(ref _prepared, [.. current, (format, made)], current), current))
            {
                return made;
            }
        }
    }
}
