using ReHome.Grains;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Cluster;

/// <summary>
/// A stream whose silo failed after handing out numbers it had not stored (here: its stored state put back to an
/// earlier checkpoint, as a crash leaves it). Viewers may hold tokens past the stored head, so nothing may number a
/// token there until a producer that has them resends them under their numbers.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class InterruptedStreamTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_late_resend_below_the_stored_head_does_not_let_numbering_resume()
    {
        var (_, _, _, grain) = await Interrupted(["t1 ", "t2 ", "t3 "], ["t4 ", "t5 "]);

        await grain.AppendMany(1, ["t1 "]);

        var refused = await Assert.ThrowsAsync<StreamInterruptedException>(() => grain.Append("other ").AsTask());
        Assert.Equal(3, refused.StoredThrough);
    }

    [Fact]
    public async Task A_producer_taking_over_is_told_the_stream_was_interrupted_and_may_only_cancel_it()
    {
        var (_, _, streamId, grain) = await Interrupted(["t1 ", "t2 ", "t3 "], ["t4 ", "t5 "]);

        var position = await grain.GetPosition();
        Assert.True(position.Interrupted);
        Assert.Equal(3, position.LastSequence);
        var refused = await Assert.ThrowsAsync<StreamInterruptedException>(() => fixture.Producer.StreamTokenAsync(streamId, "other "));
        Assert.Equal(3, refused.StoredThrough);
        Assert.Equal(["t1 ", "t2 ", "t3 "], (await grain.GetTokens(0)).Tokens);

        Assert.True(await fixture.Producer.CancelAsync(streamId, "the backend restarted"));
    }

    [Fact]
    public async Task The_producer_that_holds_the_lost_tokens_resends_them_and_numbering_goes_on()
    {
        var (_, _, _, grain) = await Interrupted(["t1 ", "t2 ", "t3 "], ["t4 ", "t5 "]);

        await grain.AppendMany(4, ["t4 ", "t5 "]);

        Assert.False((await grain.GetPosition()).Interrupted);
        Assert.Equal(6, await grain.Append("t6 "));
        Assert.Equal(["t1 ", "t2 ", "t3 ", "t4 ", "t5 ", "t6 "], (await grain.GetTokens(0)).Tokens);
    }

    [Fact]
    public async Task An_activation_that_read_the_stream_unsettled_goes_on_once_storage_says_another_one_settled_it()
    {
        // This activation read a checkpoint while a duplicate was still alive; the duplicate then deactivated
        // cleanly at the same head, having numbered nothing past it.
        var (_, _, streamId, grain) = await Interrupted(["t1 ", "t2 ", "t3 "], []);
        Assert.True((await grain.GetInfo()).Interrupted);
        var (_, state) = await fixture.ReadStoredStream(streamId);
        state.Settled = true;
        await fixture.WriteStoredStream(streamId, state);

        Assert.Equal(4, await fixture.Producer.StreamTokenAsync(streamId, "t4 "));
        Assert.Equal(["t1 ", "t2 ", "t3 ", "t4 "], (await grain.GetTokens(0)).Tokens);
    }

    [Fact]
    public async Task An_activation_that_read_the_stream_settled_refuses_a_takeover_once_storage_says_another_one_numbered_past_it()
    {
        var (_, _, streamId, grain) = await fixture.NewStream();
        await grain.AppendMany(1, ["t1 ", "t2 ", "t3 "]);
        await fixture.Cluster.DeactivateAsync(grain);
        Assert.False((await grain.GetInfo()).Interrupted);
        // A duplicate activation marked the stream unsettled, as it does before numbering past the stored head.
        var (_, state) = await fixture.ReadStoredStream(streamId);
        Assert.True(state.Settled);
        state.Settled = false;
        await fixture.WriteStoredStream(streamId, state);

        var refused = await Assert.ThrowsAsync<StreamInterruptedException>(() => fixture.Producer.StreamTokenAsync(streamId, "t4 "));
        Assert.Equal(3, refused.StoredThrough);
    }

    [Fact]
    public async Task Starting_an_interrupted_stream_again_does_not_let_its_producer_number_after_the_stored_head()
    {
        // A restarted backend starts the stream again (a no-op) and streams: a takeover like any other.
        var (threadId, runId, streamId, grain) = await Interrupted(["t1 ", "t2 ", "t3 "], ["t4 ", "t5 "]);

        Assert.Equal(streamId, await fixture.Producer.StartStreamAsync(threadId, runId, streamId));

        await Assert.ThrowsAsync<StreamInterruptedException>(() => fixture.Producer.StreamTokenAsync(streamId, "other "));
        Assert.Equal(["t1 ", "t2 ", "t3 "], (await grain.GetTokens(0)).Tokens);
    }

    /// <summary>
    /// A stream that stored <paramref name="stored"/> in a checkpoint, then handed out <paramref name="lost"/> and
    /// deactivated with its storage put back to that checkpoint.
    /// </summary>
    private async Task<(string ThreadId, string RunId, string StreamId, IStreamGrain Grain)> Interrupted(string[] stored, string[] lost)
    {
        var stream = await fixture.NewStream();
        await stream.Grain.AppendMany(1, stored);
        var checkpoint = await Eventually.Get(async () => (await fixture.ReadStoredStream(stream.StreamId)).State,
            s => s.LastSequence == stored.Length, because: "the checkpoint stores the first tokens");
        Assert.False(checkpoint.Settled);
        if (lost.Length > 0)
        {
            await stream.Grain.AppendMany(stored.Length + 1, lost);
        }

        await fixture.Cluster.DeactivateAsync(stream.Grain);
        await fixture.WriteStoredStream(stream.StreamId, checkpoint);
        return stream;
    }
}
