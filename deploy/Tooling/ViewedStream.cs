using System.Diagnostics;

namespace ReHome.Tooling;

/// <summary>
/// What one viewer shows of one stream: the tokens in sequence order with nothing skipped or repeated, then the
/// done state. Tokens that arrive ahead of a gap wait here until the gap is filled. Guarded by the viewer's lock.
/// </summary>
public sealed class ViewedStream(string streamId)
{
    private readonly List<string> _tokens = [];
    private readonly List<long> _shownAt = [];
    private readonly SortedDictionary<long, string> _ahead = [];
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TokenMessage? _pendingDone;

    public string StreamId { get; } = streamId;

    /// <summary>The last sequence shown; every one before it was shown exactly once, in order.</summary>
    public long Last => _tokens.Count;

    public IReadOnlyList<string> Tokens => _tokens;

    public string Text => string.Concat(_tokens);

    public bool Done { get; private set; }

    public string? FullResponse { get; private set; }

    public string? Reason { get; private set; }

    /// <summary>The stream's history no longer reached back to what this viewer missed: its tokens are not the whole text.</summary>
    public bool Incomplete { get; private set; }

    public Task WhenDone => _done.Task;

    /// <summary>When the token with this sequence was shown (a <see cref="Stopwatch"/> timestamp).</summary>
    public long ShownAt(long sequence) => _shownAt[(int)(sequence - 1)];

    /// <summary>The longest wait between two consecutive tokens being shown.</summary>
    public TimeSpan LongestStall => Stopwatch.GetElapsedTime(0, Longest().Ticks);

    /// <summary>When the longest wait ended (a <see cref="Stopwatch"/> timestamp), or 0 before two tokens.</summary>
    public long LongestStallEndedAt => Longest().EndedAt;

    private (long Ticks, long EndedAt) Longest()
    {
        (long Ticks, long EndedAt) longest = (0, 0);
        for (var i = 1; i < _shownAt.Count; i++)
        {
            if (_shownAt[i] - _shownAt[i - 1] > longest.Ticks)
            {
                longest = (_shownAt[i] - _shownAt[i - 1], _shownAt[i]);
            }
        }

        return longest;
    }

    internal bool NeedsFill => !Done && (_ahead.Count > 0 || _pendingDone is not null);

    /// <summary>Applies a live message; true when it revealed a gap that <c>GetTokens</c> must fill.</summary>
    internal bool Apply(TokenMessage message, ViewerStats stats)
    {
        if (Done)
        {
            stats.Duplicate();
            return false;
        }

        if (message.Done)
        {
            if (message.Sequence <= Last)
            {
                Finish(message.FullResponse, message.Reason);
                return false;
            }

            _pendingDone = message;
            stats.Jump();
            return true;
        }

        if (message.Sequence <= Last || _ahead.ContainsKey(message.Sequence))
        {
            stats.Duplicate();
            return false;
        }

        if (message.Sequence > Last + 1)
        {
            _ahead[message.Sequence] = message.Token!;
            stats.Jump();
            return true;
        }

        Show(message.Token!);
        Advance();
        return NeedsFill;
    }

    /// <summary>Applies a <c>GetTokens</c> answer; true when a gap is still open.</summary>
    internal bool Apply(TokenPageMessage page)
    {
        if (Done)
        {
            return false;
        }

        if (page.FirstSequence > Last + 1 && (page.Tokens.Length > 0 || page.LastSequence > Last))
        {
            // The tokens this viewer missed were trimmed from history; say so rather than show a partial text.
            Incomplete = true;
        }

        for (var i = 0; i < page.Tokens.Length; i++)
        {
            if (page.FirstSequence + i == Last + 1)
            {
                Show(page.Tokens[i]);
            }
        }

        Advance();
        if (!Done && page.Done && (page.LastSequence <= Last || Incomplete))
        {
            Finish(page.FullResponse, page.Reason);
        }

        return NeedsFill;
    }

    private void Show(string token)
    {
        _tokens.Add(token);
        _shownAt.Add(Stopwatch.GetTimestamp());
    }

    /// <summary>Shows the tokens that were waiting for the gap just closed, and the done event if its turn came.</summary>
    private void Advance()
    {
        while (_ahead.Remove(Last + 1, out var next))
        {
            Show(next);
        }

        foreach (var stale in _ahead.Keys.Where(s => s <= Last).ToList())
        {
            _ahead.Remove(stale);
        }

        if (_pendingDone is { } done && done.Sequence <= Last)
        {
            Finish(done.FullResponse, done.Reason);
        }
    }

    private void Finish(string? fullResponse, string? reason)
    {
        Done = true;
        FullResponse = fullResponse;
        Reason = reason;
        _pendingDone = null;
        _ahead.Clear();
        _done.TrySetResult();
    }
}

/// <summary>How much repair a viewer needed: duplicates it dropped, sequence jumps it saw, fills and reconnects.</summary>
public sealed class ViewerStats
{
    private int _duplicates;
    private int _jumps;
    private int _fills;
    private int _reconnects;

    public int Duplicates => _duplicates;
    public int Jumps => _jumps;
    public int Fills => _fills;
    public int Reconnects => _reconnects;

    internal void Duplicate() => Interlocked.Increment(ref _duplicates);
    internal void Jump() => Interlocked.Increment(ref _jumps);
    internal void Fill() => Interlocked.Increment(ref _fills);
    internal void Reconnect() => Interlocked.Increment(ref _reconnects);

    public override string ToString() => $"{Duplicates} duplicates dropped, {Jumps} jumps, {Fills} fills, {Reconnects} reconnects";
}
