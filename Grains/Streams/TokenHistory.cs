using System.Text;

namespace ReHome.Grains;

/// <summary>
/// A stream's sequence counter and its replay window: the newest tokens, bounded by count and UTF-8 bytes.
/// Sequence numbers start at 1; the window always ends at <see cref="LastSequence"/>.
/// </summary>
internal sealed class TokenHistory
{
    private readonly int _maxTokens;
    private readonly long _maxBytes;
    private string[] _ring;
    private int _head;
    private int _count;
    private long _bytes;

    public TokenHistory(int maxTokens, long maxBytes)
    {
        _maxTokens = maxTokens;
        _maxBytes = maxBytes;
        _ring = new string[Math.Min(maxTokens, 16)];
    }

    public long LastSequence { get; private set; }

    /// <summary>Sequence of the oldest retained token; <see cref="LastSequence"/> + 1 when none is retained.</summary>
    public long FirstRetained => LastSequence - _count + 1;

    /// <summary>True while every token since sequence 1 is retained.</summary>
    public bool IsComplete => FirstRetained == 1;

    public void Append(string token)
    {
        if (_count == _ring.Length)
        {
            Grow();
        }

        _ring[(_head + _count) % _ring.Length] = token;
        _count++;
        _bytes += Encoding.UTF8.GetByteCount(token);
        LastSequence++;

        while (_count > _maxTokens || (_bytes > _maxBytes && _count > 1))
        {
            _bytes -= Encoding.UTF8.GetByteCount(_ring[_head]);
            _ring[_head] = null!;
            _head = (_head + 1) % _ring.Length;
            _count--;
        }
    }

    /// <summary>The retained token at <paramref name="sequence"/>, or null when it was never numbered or was dropped.</summary>
    public string? Get(long sequence) =>
        sequence >= FirstRetained && sequence <= LastSequence
            ? _ring[(_head + (int)(sequence - FirstRetained)) % _ring.Length]
            : null;

    /// <summary>The retained tokens after <paramref name="afterSequence"/>, and the sequence of the first one.</summary>
    public (long FirstSequence, string[] Tokens) After(long afterSequence)
    {
        var first = Math.Max(afterSequence + 1, FirstRetained);
        if (first > LastSequence)
        {
            return (first, []);
        }

        var tokens = new string[LastSequence - first + 1];
        for (var i = 0; i < tokens.Length; i++)
        {
            tokens[i] = Get(first + i)!;
        }

        return (first, tokens);
    }

    /// <summary>The retained tokens in their stored form (see <see cref="PackedTokens"/>), without copying them to an array first.</summary>
    public (string Text, byte[] Lengths) Pack()
    {
        var firstPart = Math.Min(_count, _ring.Length - _head);
        return PackedTokens.Pack(new ArraySegment<string>(_ring, _head, firstPart), new ArraySegment<string>(_ring, 0, _count - firstPart));
    }

    /// <summary>The text of all tokens; only meaningful while <see cref="IsComplete"/>.</summary>
    public string Concat()
    {
        var text = new StringBuilder();
        for (var i = 0; i < _count; i++)
        {
            text.Append(_ring[(_head + i) % _ring.Length]);
        }

        return text.ToString();
    }

    /// <summary>Rebuilds the history from stored state: <paramref name="tokens"/> end at <paramref name="lastSequence"/>.</summary>
    public void Restore(long lastSequence, string[] tokens)
    {
        _ring = new string[Math.Max(tokens.Length, Math.Min(_maxTokens, 16))];
        _head = 0;
        _count = 0;
        _bytes = 0;
        LastSequence = lastSequence - tokens.Length;
        foreach (var token in tokens)
        {
            Append(token);
        }
    }

    private void Grow()
    {
        var larger = new string[Math.Min(Math.Max(_ring.Length * 2, 16), Math.Max(_maxTokens, _ring.Length + 1))];
        for (var i = 0; i < _count; i++)
        {
            larger[i] = _ring[(_head + i) % _ring.Length];
        }

        _ring = larger;
        _head = 0;
    }
}
