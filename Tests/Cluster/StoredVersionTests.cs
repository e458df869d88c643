using ReHome.Grains;

namespace ReHome.Tests.Cluster;

/// <summary>Whose state storage holds after a write conflicted or timed out: an earlier one of this activation, or another's.</summary>
public sealed class StoredVersionTests
{
    private static readonly string[] Held = ["a", "b", "c", "d", "e"];

    [Fact]
    public void An_earlier_checkpoint_of_the_same_tokens_is_an_earlier_version()
    {
        Assert.True(IsEarlier(Open(["a", "b", "c"])));
        Assert.True(IsEarlier(Open(Held)));
    }

    [Fact]
    public void Nothing_stored_is_earlier_unless_a_record_this_activation_knew_was_deleted()
    {
        Assert.True(StoredVersion.IsEarlierVersionOf(new StreamState(), storedExists: false, everStored: false, Open(Held), Token));
        Assert.False(StoredVersion.IsEarlierVersionOf(new StreamState(), storedExists: false, everStored: true, Open(Held), Token));
        Assert.True(IsEarlier(new StreamState()));
    }

    [Fact]
    public void Tokens_this_activation_does_not_hold_were_numbered_by_another()
    {
        Assert.False(IsEarlier(Open([.. Held, "f"])));
        Assert.False(IsEarlier(Open(["a", "b", "X"])));
    }

    [Fact]
    public void Tokens_this_activation_trimmed_from_its_window_are_not_held_against_it()
    {
        var trimmed = StoredVersion.IsEarlierVersionOf(Open(["a", "b", "c"]), true, true, Open(Held),
            sequence => sequence >= 3 ? Held[sequence - 1] : null);
        Assert.True(trimmed);
    }

    [Fact]
    public void Another_thread_or_run_is_another_stream()
    {
        var otherThread = Open(["a"]);
        otherThread.ThreadId = "t-other";
        var otherRun = Open(["a"]);
        otherRun.RunId = "r-other";
        Assert.False(IsEarlier(otherThread));
        Assert.False(IsEarlier(otherRun));
    }

    [Fact]
    public void An_end_is_earlier_only_when_this_activation_is_writing_the_same_end()
    {
        var ended = Ended(Held, "abcde");
        Assert.True(StoredVersion.IsEarlierVersionOf(ended, true, true, Ended(Held, "abcde"), Token));
        Assert.False(StoredVersion.IsEarlierVersionOf(ended, true, true, Ended(Held, "something else"), Token));
        Assert.False(IsEarlier(ended));
    }

    [Fact]
    public void A_chunked_head_is_compared_by_its_tail_and_the_chunks_it_names()
    {
        // Mine: chunks of 2 sealed through 4, tail "e". Stored: my earlier head sealed through 2, tail "c".
        var mine = Chunked(Held, sealedThrough: 4);
        Assert.True(StoredVersion.IsEarlierVersionOf(Chunked(["a", "b", "c"], sealedThrough: 2), true, true, mine, Token));
        Assert.False(StoredVersion.IsEarlierVersionOf(Chunked(["a", "b", "X"], sealedThrough: 2), true, true, mine, Token));

        // A head that names more sealed chunks than mine, or chunks of another size, was written by another activation.
        Assert.False(StoredVersion.IsEarlierVersionOf(Chunked(["a", "b", "c", "d"], sealedThrough: 4), true, true, Chunked(Held, sealedThrough: 2), Token));
        var otherSize = Chunked(["a", "b", "c"], sealedThrough: 2);
        otherSize.ChunkTokens = 3;
        Assert.False(StoredVersion.IsEarlierVersionOf(otherSize, true, true, mine, Token));
    }

    private static bool IsEarlier(StreamState stored) =>
        StoredVersion.IsEarlierVersionOf(stored, storedExists: true, everStored: true, Open(Held), Token);

    private static string? Token(long sequence) => sequence >= 1 && sequence <= Held.Length ? Held[sequence - 1] : null;

    private static StreamState Open(string[] tokens)
    {
        var history = new TokenHistory(100, 10_000);
        foreach (var token in tokens)
        {
            history.Append(token);
        }

        var (text, lengths) = history.Pack();
        return new StreamState
        {
            Phase = StreamPhase.Open,
            ThreadId = "t-1",
            RunId = "r-1",
            LastSequence = tokens.Length,
            TokenText = text,
            TokenLengths = lengths,
        };
    }

    /// <summary>A head with chunks of 2 tokens sealed through <paramref name="sealedThrough"/>, holding the tokens after them.</summary>
    private static StreamState Chunked(string[] tokens, long sealedThrough)
    {
        var state = Open(tokens[(int)sealedThrough..]);
        state.LastSequence = tokens.Length;
        state.SealedThrough = sealedThrough;
        state.ChunkTokens = 2;
        return state;
    }

    private static StreamState Ended(string[] tokens, string fullResponse)
    {
        var state = Open(tokens);
        state.Phase = StreamPhase.Ended;
        state.Reason = StreamEndReason.Completed;
        state.FullResponse = fullResponse;
        state.Settled = true;
        return state;
    }
}
