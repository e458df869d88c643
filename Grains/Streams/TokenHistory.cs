using System.Text;

namespace ReHome.Grains;

/// <summary>
/// A stream's sequence counter and its replay window: the newest tokens, bounded by count and UTF-8 bytes.
/// Sequence numbers start at 1; the window always ends at <see cref="LastSequence"/>.
/// </summary>
/// <remarks>
/// The window is kept packed: the tokens' characters one after another in one buffer, and where each token starts.
/// An open stream then holds about two bytes per character instead of a string object per token, and a checkpoint
/// (<see cref="Pack"/>) copies one block instead of walking hundreds of strings. Strings are made again only for
/// replay (<see cref="After"/>), which is rare.
/// </remarks>
internal sealed class TokenHistory
{
    private readonly int _maxTokens;
    private readonly long _maxBytes;

    /// <summary>Characters of the retained tokens, from <see cref="_textStart"/> to <see cref="_textEnd"/>.</summary>
    private char[] _text = [];
    private int _textStart;
    private int _textEnd;

    /// <summary>Ring of the retained tokens' start offsets in <see cref="_text"/>, oldest at <see cref="_head"/>.</summary>
    private int[] _starts;
    private int _head;
    private int _count;
    private long _bytes;

    public TokenHistory(int maxTokens, long maxBytes)
    {
        _maxTokens = maxTokens;
        _maxBytes = maxBytes;
        _starts = new int[Math.Min(maxTokens, 16)];
    }

    public long LastSequence { get; private set; }

    /// <summary>Sequence of the oldest retained token; <see cref="LastSequence"/> + 1 when none is retained.</summary>
    public long FirstRetained => LastSequence - _count + 1;

    /// <summary>True while every token since sequence 1 is retained.</summary>
    public bool IsComplete => FirstRetained == 1;

    public void Append(string token)
    {
        if (_count == _starts.Length)
        {
            GrowStarts();
        }

        EnsureText(token.Length);
        token.CopyTo(_text.AsSpan(_textEnd));
        _starts[(_head + _count) % _starts.Length] = _textEnd;
        _textEnd += token.Length;
        _count++;
        _bytes += Encoding.UTF8.GetByteCount(token);
        LastSequence++;

        while (_count > _maxTokens || (_bytes > _maxBytes && _count > 1))
        {
            _bytes -= Encoding.UTF8.GetByteCount(Span(0));
            _head = (_head + 1) % _starts.Length;
            _count--;
            _textStart = _count == 0 ? _textEnd : _starts[_head];
        }
    }

    /// <summary>The retained token at <paramref name="sequence"/>, or null when it was never numbered or was dropped.</summary>
    public string? Get(long sequence) =>
        sequence >= FirstRetained && sequence <= LastSequence ? new string(Span((int)(sequence - FirstRetained))) : null;

    /// <summary>The retained tokens after <paramref name="afterSequence"/>, and the sequence of the first one.</summary>
    public (long FirstSequence, string[] Tokens) After(long afterSequence)
    {
        var first = Math.Max(afterSequence + 1, FirstRetained);
        if (first > LastSequence)
        {
            return (first, []);
        }

        var tokens = new string[LastSequence - first + 1];
        var offset = (int)(first - FirstRetained);
        for (var i = 0; i < tokens.Length; i++)
        {
            tokens[i] = new string(Span(offset + i));
        }

        return (first, tokens);
    }

    /// <summary>The text of all tokens; only meaningful while <see cref="IsComplete"/>.</summary>
    public string Concat() => new(_text, _textStart, _textEnd - _textStart);

    /// <summary>The retained tokens in their stored form (see <see cref="PackedTokens"/>): one copy of the text block.</summary>
    public (string Text, byte[] Lengths) Pack() => Pack(FirstRetained, LastSequence);

    /// <summary>The retained tokens from <paramref name="first"/> to <paramref name="last"/> (clamped to the window), packed.</summary>
    public (string Text, byte[] Lengths) Pack(long first, long last)
    {
        var from = (int)(Math.Max(first, FirstRetained) - FirstRetained);
        var to = (int)(Math.Min(last, LastSequence) - FirstRetained);
        if (from > to)
        {
            return ("", []);
        }

        // Two walks of the ring (sizes, then the varints), stepping slot by slot rather than computing each index.
        var firstSlot = (_head + from) % _starts.Length;
        var start = _starts[firstSlot];
        var size = 0;
        for (int i = from, slot = firstSlot, at = start; i <= to; i++)
        {
            var next = NextStart(i, ref slot);
            size += PackedTokens.VarintSize(next - at);
            at = next;
        }

        var lengths = new byte[size];
        var written = 0;
        var end = start;
        for (int i = from, slot = firstSlot; i <= to; i++)
        {
            var next = NextStart(i, ref slot);
            written = PackedTokens.WriteVarint(lengths, written, next - end);
            end = next;
        }

        return (new string(_text, start, end - start), lengths);
    }

    /// <summary>Rebuilds the history from stored state: <paramref name="tokens"/> end at <paramref name="lastSequence"/>.</summary>
    public void Restore(long lastSequence, string[] tokens)
    {
        _starts = new int[Math.Max(tokens.Length, Math.Min(_maxTokens, 16))];
        _text = [];
        _textStart = 0;
        _textEnd = 0;
        _head = 0;
        _count = 0;
        _bytes = 0;
        LastSequence = lastSequence - tokens.Length;
        foreach (var token in tokens)
        {
            Append(token);
        }
    }

    /// <summary>The characters of the <paramref name="index"/>-th retained token (0 = oldest).</summary>
    private ReadOnlySpan<char> Span(int index)
    {
        var start = _starts[(_head + index) % _starts.Length];
        return _text.AsSpan(start, Length(index));
    }

    private int Length(int index)
    {
        var start = _starts[(_head + index) % _starts.Length];
        var end = index + 1 < _count ? _starts[(_head + index + 1) % _starts.Length] : _textEnd;
        return end - start;
    }

    /// <summary>Where the token after the <paramref name="index"/>-th starts; moves <paramref name="slot"/> to its place in the ring.</summary>
    private int NextStart(int index, ref int slot)
    {
        if (index + 1 == _count)
        {
            return _textEnd;
        }

        slot = slot + 1 == _starts.Length ? 0 : slot + 1;
        return _starts[slot];
    }

    /// <summary>Makes room for <paramref name="length"/> more characters: first by dropping what was trimmed, then by growing.</summary>
    private void EnsureText(int length)
    {
        if (_textEnd + length <= _text.Length)
        {
            return;
        }

        var live = _textEnd - _textStart;
        var needed = live + length;
        var target = _text.Length >= needed && _textStart >= _text.Length / 2
            ? _text
            : new char[Math.Max(needed, Math.Max(64, _text.Length * 2))];
        Array.Copy(_text, _textStart, target, 0, live);
        for (var i = 0; i < _count; i++)
        {
            _starts[(_head + i) % _starts.Length] -= _textStart;
        }

        _text = target;
        _textStart = 0;
        _textEnd = live;
    }

    private void GrowStarts()
    {
        var larger = new int[Math.Min(Math.Max(_starts.Length * 2, 16), Math.Max(_maxTokens, _starts.Length + 1))];
        for (var i = 0; i < _count; i++)
        {
            larger[i] = _starts[(_head + i) % _starts.Length];
        }

        _starts = larger;
        _head = 0;
    }
}
