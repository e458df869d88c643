using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class ValidationTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_null_token_is_refused_and_nothing_is_stored()
    {
        var (_, _, _, grain) = await fixture.NewStream();

        var error = await Assert.ThrowsAsync<InvalidRequestException>(() => grain.Append(null!).AsTask());
        var inBatch = await Assert.ThrowsAsync<InvalidRequestException>(() => grain.AppendMany(1, ["ok", null!]).AsTask());

        Assert.Equal("token", error.Field);
        Assert.Equal("tokens[1]", inBatch.Field);
        Assert.Equal(0, (await grain.GetInfo()).LastSequence);
    }

    [Fact]
    public async Task A_token_over_the_limit_is_refused_not_truncated()
    {
        var (_, _, _, grain) = await fixture.NewStream();

        var error = await Assert.ThrowsAsync<InvalidRequestException>(() => grain.Append(new string('x', 1001)).AsTask());

        Assert.Equal("token", error.Field);
        Assert.Equal("invalid_request", error.Code);
        Assert.Equal(0, (await grain.GetInfo()).LastSequence);
    }

    [Fact]
    public async Task The_token_limit_counts_characters_not_utf16_units()
    {
        var (_, _, _, grain) = await fixture.NewStream();
        var thousandEmoji = string.Concat(Enumerable.Repeat("😀", 1000));

        Assert.Equal(1, await grain.Append(thousandEmoji));
        await Assert.ThrowsAsync<InvalidRequestException>(() => grain.Append(thousandEmoji + "😀").AsTask());
        Assert.Equal(thousandEmoji, (await grain.GetTokens(0)).Tokens.Single());
    }

    [Fact]
    public async Task A_token_with_an_unpaired_surrogate_is_refused_before_the_wire_changes_it()
    {
        // Orleans encodes strings as UTF-8, which would turn the lone surrogate into U+FFFD in transit,
        // so the producer checks before sending.
        var (_, _, streamId, grain) = await fixture.NewStream();

        var error = await Assert.ThrowsAsync<InvalidRequestException>(() => fixture.Producer.StreamTokenAsync(streamId, "ab\ud83d"));

        Assert.Contains("surrogate", error.Message);
        Assert.Equal(0, (await grain.GetInfo()).LastSequence);
    }

    [Fact]
    public async Task An_empty_stream_id_is_refused()
    {
        var threadId = await fixture.NewThread();

        var error = await Assert.ThrowsAsync<InvalidRequestException>(() => fixture.Producer.StartStreamAsync(threadId, "run-1", ""));

        Assert.Equal("streamId", error.Field);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("slash/inside")]
    [InlineData("dot.inside")]
    [InlineData("ümlaut")]
    public async Task A_stream_id_outside_the_allowed_characters_is_refused(string streamId)
    {
        var threadId = await fixture.NewThread();
        var grain = fixture.Client.GetGrain<IStreamGrain>(streamId);

        var error = await Assert.ThrowsAsync<InvalidRequestException>(() => grain.Start(threadId, "run-1"));

        Assert.Equal("streamId", error.Field);
        Assert.Empty(await fixture.Client.GetGrain<IThreadGrain>(threadId).GetStreams());
    }

    [Fact]
    public async Task A_stream_id_longer_than_128_characters_is_refused()
    {
        var threadId = await fixture.NewThread();
        var ok = fixture.Client.GetGrain<IStreamGrain>(new string('a', 100) + Guid.NewGuid().ToString("N")[..28]);
        var tooLong = fixture.Client.GetGrain<IStreamGrain>(new string('b', 129));

        await ok.Start(threadId, "run-" + Guid.NewGuid().ToString("N"));
        var error = await Assert.ThrowsAsync<InvalidRequestException>(() => tooLong.Start(threadId, "run-2"));
        Assert.Equal("streamId", error.Field);
    }

    [Theory]
    [InlineData("", "run-1", "threadId")]
    [InlineData("thread-1", "", "runId")]
    [InlineData("thread 1", "run-1", "threadId")]
    public async Task An_empty_or_malformed_thread_or_run_id_is_refused(string threadId, string runId, string field)
    {
        var grain = fixture.Client.GetGrain<IStreamGrain>("s-" + Guid.NewGuid().ToString("N"));

        var error = await Assert.ThrowsAsync<InvalidRequestException>(() => grain.Start(threadId, runId));

        Assert.Equal(field, error.Field);
        await Assert.ThrowsAsync<StreamNotFoundException>(() => grain.GetInfo().AsTask());
    }

    [Fact]
    public async Task Bad_sequence_numbers_and_batches_are_refused()
    {
        var (_, _, _, grain) = await fixture.NewStream();

        Assert.Equal("firstSequence", (await Assert.ThrowsAsync<InvalidRequestException>(() => grain.AppendMany(-1, ["a"]).AsTask())).Field);
        Assert.Equal("tokens", (await Assert.ThrowsAsync<InvalidRequestException>(() => grain.AppendMany(1, null!).AsTask())).Field);
        Assert.Equal("tokens", (await Assert.ThrowsAsync<InvalidRequestException>(() => grain.AppendMany(1, []).AsTask())).Field);
        Assert.Equal("tokens", (await Assert.ThrowsAsync<InvalidRequestException>(() => grain.AppendMany(1, new string[1001]).AsTask())).Field);
        Assert.Equal("afterSequence", (await Assert.ThrowsAsync<InvalidRequestException>(() => grain.GetTokens(-1).AsTask())).Field);
        Assert.Equal("reason", (await Assert.ThrowsAsync<InvalidRequestException>(() => grain.Cancel(null!))).Field);
        Assert.Equal(0, (await grain.GetInfo()).LastSequence);
        Assert.False((await grain.GetInfo()).Done);
    }

    [Fact]
    public async Task A_thread_access_list_without_an_owner_is_refused()
    {
        var thread = fixture.Client.GetGrain<IThreadGrain>("t-" + Guid.NewGuid().ToString("N"));

        var error = await Assert.ThrowsAsync<InvalidRequestException>(() => thread.Configure(new ThreadAccess(null, null, "", [])));

        Assert.Equal("ownerUserId", error.Field);
        Assert.Null(await thread.GetAccess());
    }
}
