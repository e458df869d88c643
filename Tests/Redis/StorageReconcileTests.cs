using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using ReHome.Grains;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Redis;

/// <summary>
/// A grain whose stored version moved under it. A write that timed out while Redis hung is applied when Redis
/// resumes, so the grain's next write conflicts: a stream must tell its own late write from another activation's, and a
/// thread must not stay stuck on it.
/// These tests move the version the way each case does, through the silo's own grain storage on real Redis.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class StorageReconcileTests(RedisClusterFixture fixture)
{
    [SkippableFact]
    public async Task Its_own_write_applied_late_is_written_over_with_every_token_it_holds_and_no_reset()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var (streamId, grain) = await StreamStored("a", "b", "c");

        // The stored state is this activation's own, but at a version the grain did not see written.
        await RewriteStored(streamId, state => state);
        await grain.AppendMany(4, ["d", "e"]);

        var stored = await StoredThrough(streamId, 5);
        Assert.Equal(["a", "b", "c", "d", "e"], stored.Tokens);
        // Not reset: a reactivation would have come back interrupted and refused numbering without an index.
        Assert.Equal(6, await grain.Append("f"));
        Assert.Equal(["a", "b", "c", "d", "e", "f"], (await grain.GetTokens(0)).Tokens);
    }

    [SkippableFact]
    public async Task An_end_of_its_own_applied_late_lets_the_retried_end_succeed()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var (streamId, grain) = await StreamStored("a", "b");

        // The end's first attempt timed out in the client, then Redis applied it.
        await RewriteStored(streamId, state =>
        {
            state.Phase = StreamPhase.Ended;
            state.Reason = StreamEndReason.Completed;
            state.FullResponse = "ab";
            state.Settled = true;
            return state;
        });

        Assert.True(await grain.End("ab", 2));
        Assert.False(await grain.End("ab", 2));
        var (_, stored) = await fixture.ReadStoredStream(streamId);
        Assert.Equal(StreamPhase.Ended, stored.Phase);
        Assert.Equal("ab", stored.FullResponse);
    }

    [SkippableFact]
    public async Task State_another_activation_wrote_makes_the_grain_deactivate_and_read_it()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var (streamId, grain) = await StreamStored("a", "b");

        // A duplicate activation numbered 3 and 4 with text this one never saw.
        await RewriteStored(streamId, state => WithTokens(state, ["a", "b", "X", "Y"]));
        await grain.AppendMany(3, ["c"]);

        // The grain deactivates on finding another activation's state; the next activation reads it.
        await Eventually.True(async () => (await grain.GetTokens(0)).Tokens.SequenceEqual(["a", "b", "X", "Y"]),
            because: "the grain steps aside and its next activation reads the stored state");
        await Assert.ThrowsAsync<StreamConflictException>(() => grain.AppendMany(3, ["c"]).AsTask());
    }

    [SkippableFact]
    public async Task A_gap_that_another_activation_stored_is_not_reported_as_lost_tokens()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var (streamId, grain) = await StreamStored("a", "b");

        // A duplicate activation took 3 and 4 from the producer and stored them; the producer let go of them and
        // goes on at 5, reaching this activation, which never saw 3 and 4.
        await RewriteStored(streamId, state => WithTokens(state, ["a", "b", "c", "d"]));
        // Not a gap, which would tell the producer its tokens are lost for good: a conflict it retries.
        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.AppendMany(5, ["e"]).AsTask());

        // The producer's retry reaches an activation that read the stored tokens.
        var ack = await Eventually.Get(() => TryAppend(grain, 5, "e"), a => a is not null,
            because: "the stale activation steps aside and the next one reads storage");
        Assert.Equal(5, ack?.LastSequence);
        Assert.Equal(["a", "b", "c", "d", "e"], (await grain.GetTokens(0)).Tokens);
    }

    [SkippableFact]
    public async Task A_producer_taking_over_a_stream_goes_on_after_what_another_activation_stored()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var (streamId, grain) = await StreamStored("a", "b");

        // A duplicate activation took 3 and 4 from the stream's first producer, stored them and deactivated cleanly
        // (settled: it handed out no number it did not store); this one holds 2.
        await RewriteStored(streamId, state =>
        {
            state.Settled = true;
            return WithTokens(state, ["a", "b", "c", "d"]);
        });

        // A producer that did not start the stream (a restarted backend) asks where it stands, then goes on.
        Assert.Equal(5, await fixture.Producer.StreamTokenAsync(streamId, "e"));
        Assert.Equal(["a", "b", "c", "d", "e"], (await grain.GetTokens(0)).Tokens);
        Assert.Equal(5, (await grain.GetPosition()).LastSequence);
    }

    [SkippableFact]
    public async Task A_producer_taking_over_a_stream_another_activation_left_unsettled_is_refused_as_interrupted()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var (streamId, grain) = await StreamStored("a", "b");

        // The duplicate activation stored 3 and 4 in a checkpoint, and may have handed out more before its silo died.
        await RewriteStored(streamId, state => WithTokens(state, ["a", "b", "c", "d"]));

        var refused = await Assert.ThrowsAsync<StreamInterruptedException>(() => fixture.Producer.StreamTokenAsync(streamId, "e"));
        Assert.Equal(4, refused.StoredThrough);
        Assert.Equal(["a", "b", "c", "d"], (await grain.GetTokens(0)).Tokens);
    }

    [SkippableFact]
    public async Task A_gap_storage_confirms_is_reported_with_the_number_to_resend_from()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var (_, grain) = await StreamStored("a", "b");

        var gap = await Assert.ThrowsAsync<SequenceGapException>(() => grain.AppendMany(5, ["e"]).AsTask());
        Assert.Equal(3, gap.ExpectedSequence);
        var endGap = await Assert.ThrowsAsync<SequenceGapException>(() => grain.End("abcd", 4));
        Assert.Equal(3, endGap.ExpectedSequence);
        Assert.Equal(3, await grain.Append("c"));
    }

    [SkippableFact]
    public async Task After_a_cancel_whose_write_hung_nothing_is_numbered_until_storage_says_whether_it_landed()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var (_, grain) = await StreamStored("a", "b");

        fixture.Redis.Pause();
        try
        {
            // The cancel's write waits in Redis's socket while the client gives up on it (its 3 s timeout).
            await Assert.ThrowsAsync<StorageUnavailableException>(() => grain.Cancel("stop"));
            // Viewers would be shown a token past the end that lands when Redis resumes.
            await Assert.ThrowsAsync<StorageUnavailableException>(() => grain.AppendMany(3, ["c"]).AsTask());
        }
        finally
        {
            fixture.Redis.Resume();
        }

        // Redis applied the cancel as it resumed: the producer's retries end at the cancel, never at a number past it.
        await Eventually.True(async () =>
        {
            try
            {
                await grain.AppendMany(3, ["c"]);
                Assert.Fail("The stream numbered a token after its stored cancel.");
                return false;
            }
            catch (Exception ex) when (ex is InconsistentStateException or StorageUnavailableException)
            {
                return false;
            }
            catch (StreamCancelledException)
            {
                return true;
            }
        }, because: "the activation finds the stored cancel, steps aside, and the next one reads it");
        var page = await grain.GetTokens(0);
        Assert.Equal(["a", "b"], page.Tokens);
        Assert.True(page.Done);
        Assert.Equal(StreamEndReason.Cancelled, page.Reason);
    }

    [SkippableFact]
    public async Task A_thread_whose_own_write_was_applied_late_stores_the_next_change_on_a_retry()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var threadId = "t-" + Guid.NewGuid().ToString("N");
        var thread = fixture.Client.GetGrain<IThreadGrain>(threadId);
        await thread.Configure(new ThreadAccess(null, null, "alice", []));

        // The stored version moves past the activation's, as a configure that timed out and was applied later does.
        var grainId = thread.GetGrainId();
        var stored = new GrainState<ReHome.Grains.ThreadState>();
        await Storage.ReadStateAsync("thread", grainId, stored);
        await Storage.WriteStateAsync("thread", grainId, stored);

        // The next change may fail once, as storage_unavailable, which callers retry; a retry stores it.
        var withBob = new ThreadAccess(null, null, "alice", ["bob"]);
        await Eventually.True(async () =>
        {
            try
            {
                await thread.Configure(withBob);
                return true;
            }
            catch (StorageUnavailableException)
            {
                return false;
            }
        }, because: "the activation that lost track of the stored version steps aside");

        Assert.True(await thread.CanAccess("bob"));
        await Storage.ReadStateAsync("thread", grainId, stored);
        Assert.Equal(["bob"], stored.State!.Access!.MemberUserIds);
    }

    private static async Task<AppendAck?> TryAppend(IStreamGrain grain, long first, string token)
    {
        try
        {
            return await grain.AppendMany(first, [token]);
        }
        catch (InconsistentStateException)
        {
            return null;
        }
    }

    private IGrainStorage Storage => fixture.Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(StorageNames.Grains);

    /// <summary>Writes the stored state again through grain storage, which gives it a new version (ETag).</summary>
    private async Task RewriteStored(string streamId, Func<StreamState, StreamState> change)
    {
        var grainId = fixture.Client.GetGrain<IStreamGrain>(streamId).GetGrainId();
        var state = new GrainState<StreamState>();
        await Storage.ReadStateAsync("stream", grainId, state);
        state.State = change(state.State ?? throw new InvalidOperationException($"{streamId} has no stored state."));
        await Storage.WriteStateAsync("stream", grainId, state);
    }

    /// <summary>A new stream holding <paramref name="tokens"/>, once a checkpoint has stored them all.</summary>
    private async Task<(string StreamId, IStreamGrain Grain)> StreamStored(params string[] tokens)
    {
        var (_, _, streamId, grain) = await fixture.NewStream();
        await grain.AppendMany(1, tokens);
        await StoredThrough(streamId, tokens.Length);
        return (streamId, grain);
    }

    private async Task<StreamState> StoredThrough(string streamId, long sequence) =>
        (await Eventually.Get(() => fixture.ReadStoredStream(streamId), s => s.State.LastSequence >= sequence,
            because: $"a checkpoint through {sequence}")).State;

    private static StreamState WithTokens(StreamState state, string[] tokens)
    {
        var history = new TokenHistory(100, 10_000);
        foreach (var token in tokens)
        {
            history.Append(token);
        }

        (state.TokenText, state.TokenLengths) = history.Pack();
        state.LastSequence = tokens.Length;
        return state;
    }
}
