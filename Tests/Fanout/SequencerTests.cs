using Microsoft.Extensions.Time.Testing;
using ReHome.Gateway.Fanout;

namespace ReHome.Tests.Fanout;

/// <summary>The per-thread sequencer alone: dedupe, gap fill and done tracking against a fake <c>GetTokens</c>.</summary>
public sealed class SequencerTests
{
    private readonly FakeHistory _history = new();
    private readonly RecordingOutput _output = new();
    private readonly FakeTimeProvider _time = new();
    private readonly RecordingEvents _events = new();
    private readonly ThreadSequencer _sequencer;

    public SequencerTests() => _sequencer = new ThreadSequencer(_history, _output, _time, _events);

    [Fact]
    public async Task Tokens_go_out_once_in_order_and_a_resend_of_forwarded_ones_is_dropped()
    {
        await _sequencer.Accept(Tokens("s", 1, 3));
        await _sequencer.Accept(Tokens("s", 2, 4));

        Assert.Equal([1L, 2, 3, 4], _output.Messages.Select(m => m.Sequence));
        Assert.Equal(["w1 ", "w2 ", "w3 ", "w4 "], _output.Messages.Select(m => m.Token));
        Assert.Empty(_history.Calls);
    }

    [Fact]
    public async Task A_jump_is_filled_from_the_stream_before_anything_past_it_goes_out()
    {
        _history.Has("s", 6);
        await _sequencer.Accept(Tokens("s", 1, 2));
        await _sequencer.Accept(Tokens("s", 5, 6));

        Assert.Equal([1L, 2, 3, 4, 5, 6], _output.Messages.Select(m => m.Sequence));
        Assert.Equal([("s", 2L)], _history.Calls);
        Assert.Equal(1, _events.GapsFilled);
    }

    [Fact]
    public async Task A_stream_open_when_the_channel_subscribed_goes_out_from_where_it_stood()
    {
        // Viewers who join mid-stream fetch up to where it stood themselves.
        _sequencer.Baseline([Info("s", 39, done: false), Info("ended", 7, done: true)]);
        await _sequencer.Accept(Tokens("s", 40, 41));
        await _sequencer.Accept(Ended("ended", 7));

        Assert.Equal([("s", 40L, false), ("s", 41, false)], _output.Seen);
        Assert.Empty(_history.Calls);
    }

    [Fact]
    public async Task A_stream_first_seen_after_its_start_is_filled_from_sequence_one_not_taken_as_starting_there()
    {
        // After a failover the agent that took the thread's queue over delivered from token 40 of a new stream.
        _history.Has("s", 41);
        await _sequencer.Accept(Tokens("s", 40, 41));

        Assert.Equal(Enumerable.Range(1, 41).Select(i => (long)i), _output.Messages.Select(m => m.Sequence));
        Assert.Equal([("s", 0L)], _history.Calls);
    }

    [Fact]
    public async Task An_event_past_a_jump_the_history_cannot_fill_yet_is_held_back_until_the_resend()
    {
        // A dead activation numbered 3–4; its successor holds only 1–2 until the producer resends 3–4.
        _history.Has("s", 2);
        await _sequencer.Accept(Tokens("s", 1, 2));
        await _sequencer.Accept(Tokens("s", 5, 5));
        Assert.Equal([1L, 2], _output.Messages.Select(m => m.Sequence));
        Assert.Equal([("s", 2L, 5L)], _events.NotFilled);

        await _sequencer.Accept(Tokens("s", 3, 5));
        Assert.Equal([1L, 2, 3, 4, 5], _output.Messages.Select(m => m.Sequence));
    }

    [Fact]
    public async Task The_done_event_goes_out_once_after_the_last_token_even_when_tokens_before_it_were_lost()
    {
        _history.Has("s", 4, done: true);
        await _sequencer.Accept(Tokens("s", 1, 2));
        await _sequencer.Accept(Ended("s", 4));
        await _sequencer.Accept(Ended("s", 4));
        await _sequencer.Accept(Tokens("s", 4, 5));

        Assert.Equal([("s", 1L, false), ("s", 2, false), ("s", 3, false), ("s", 4, false), ("s", 4, true)], _output.Seen);
        Assert.Equal("w1 w2 w3 w4 ", _output.Messages[^1].FullResponse);
    }

    [Fact]
    public async Task A_done_event_with_nothing_missing_needs_no_fetch()
    {
        await _sequencer.Accept(Tokens("s", 1, 2));
        await _sequencer.Accept(Ended("s", 2));

        Assert.Equal([("s", 1L, false), ("s", 2, false), ("s", 2, true)], _output.Seen);
        Assert.Empty(_history.Calls);
    }

    [Fact]
    public async Task A_silent_open_stream_is_probed_and_its_lost_end_found_and_an_ended_one_is_forgotten_a_minute_later()
    {
        await _sequencer.Accept(Tokens("s", 1, 2));
        _history.Has("s", 3, done: true);

        await _sequencer.ProbeSilent(TimeSpan.FromSeconds(2));
        Assert.Empty(_history.Calls); // not silent yet

        _time.Advance(TimeSpan.FromSeconds(3));
        await _sequencer.ProbeSilent(TimeSpan.FromSeconds(2));
        Assert.Equal([("s", 1L, false), ("s", 2, false), ("s", 3, false), ("s", 3, true)], _output.Seen);

        _time.Advance(TimeSpan.FromSeconds(30));
        await _sequencer.ProbeSilent(TimeSpan.FromSeconds(2));
        Assert.Single(_history.Calls); // an ended stream is not probed
        Assert.Equal(1, _sequencer.Count);

        _time.Advance(TimeSpan.FromSeconds(31));
        await _sequencer.ProbeSilent(TimeSpan.FromSeconds(2));
        Assert.Equal(0, _sequencer.Count);
    }

    [Fact]
    public async Task A_probe_that_finds_nothing_new_forwards_nothing_and_is_no_gap_filled()
    {
        _history.Has("s", 2);
        await _sequencer.Accept(Tokens("s", 1, 2));
        _time.Advance(TimeSpan.FromSeconds(3));

        await _sequencer.ProbeSilent(TimeSpan.FromSeconds(2));

        Assert.Equal(2, _output.Messages.Count);
        Assert.Single(_history.Calls);
        Assert.Equal(0, _events.GapsFilled);
    }

    [Fact]
    public async Task A_stream_whose_state_is_gone_is_forgotten()
    {
        await _sequencer.Accept(Tokens("s", 1, 1));
        await _sequencer.Accept(Tokens("s", 3, 3)); // the fill finds no stream: nothing goes out past the jump

        Assert.Equal([1L], _output.Messages.Select(m => m.Sequence));
        Assert.Equal(0, _sequencer.Count);
    }

    [Fact]
    public async Task Catching_up_after_a_resubscription_fills_tracked_streams_and_starts_new_open_ones()
    {
        await _sequencer.Accept(Tokens("tracked", 1, 2));
        _history.Has("tracked", 5);
        _history.Has("started-meanwhile", 3);

        await _sequencer.CatchUp([Info("tracked", 5, done: false), Info("started-meanwhile", 3, done: false)]);

        Assert.Equal(
            [("tracked", 1L, false), ("tracked", 2, false), ("tracked", 3, false), ("tracked", 4, false), ("tracked", 5, false), ("started-meanwhile", 1, false), ("started-meanwhile", 2, false), ("started-meanwhile", 3, false)],
            _output.Seen);
    }

    [Fact]
    public async Task Catching_up_sends_a_stream_that_started_and_ended_unseen_but_not_one_that_ended_before_or_was_forgotten()
    {
        _sequencer.Baseline([Info("ended-before", 9, done: true)]);
        await _sequencer.Accept(Tokens("seen-and-forgotten", 1, 2));
        await _sequencer.Accept(Ended("seen-and-forgotten", 2));
        _time.Advance(TimeSpan.FromMinutes(2));
        await _sequencer.ProbeSilent(TimeSpan.FromSeconds(2)); // forgets both: they ended over a minute ago
        Assert.Equal(0, _sequencer.Count);
        _output.Messages.Clear();
        _history.Has("ended-before", 9, done: true);
        _history.Has("seen-and-forgotten", 2, done: true);
        _history.Has("started-and-ended-unseen", 2, done: true);

        await _sequencer.CatchUp([Info("ended-before", 9, done: true), Info("seen-and-forgotten", 2, done: true), Info("started-and-ended-unseen", 2, done: true)]);

        Assert.Equal([("started-and-ended-unseen", 1L, false), ("started-and-ended-unseen", 2, false), ("started-and-ended-unseen", 2, true)], _output.Seen);
        Assert.Equal([("started-and-ended-unseen", 0L)], _history.Calls);
    }

    [Fact]
    public async Task A_late_copy_of_an_event_of_a_stream_that_ended_and_was_forgotten_sends_nothing_again()
    {
        _history.Has("s", 2, done: true);
        await _sequencer.Accept(Tokens("s", 1, 2));
        await _sequencer.Accept(Ended("s", 2));
        _time.Advance(TimeSpan.FromMinutes(2));
        await _sequencer.ProbeSilent(TimeSpan.FromSeconds(2)); // forgets it: it ended over a minute ago
        _output.Messages.Clear();

        // A publish its grain kept retrying, say while the relay's silo could not be declared dead.
        await _sequencer.Accept(Tokens("s", 2, 2));
        await _sequencer.Accept(Ended("s", 2));

        Assert.Empty(_output.Seen);
        Assert.Empty(_history.Calls);
        Assert.Equal(0, _sequencer.Count);
    }

    [Fact]
    public async Task Catching_up_goes_on_past_a_stream_whose_grain_does_not_answer_and_then_says_it_failed()
    {
        _history.Has("hung", 4);
        _history.Has("healthy", 3);
        _history.NotAnswering.Add("hung");

        await Assert.ThrowsAsync<TimeoutException>(() => _sequencer.CatchUp([Info("hung", 4, done: false), Info("healthy", 3, done: false)]));

        Assert.Equal([("healthy", 1L, false), ("healthy", 2, false), ("healthy", 3, false)], _output.Seen);
    }

    [Fact]
    public async Task Probing_goes_on_past_a_stream_whose_grain_does_not_answer()
    {
        await _sequencer.Accept(Tokens("hung", 1, 1));
        await _sequencer.Accept(Tokens("healthy", 1, 1));
        _history.Has("hung", 2);
        _history.Has("healthy", 2, done: true);
        _history.NotAnswering.Add("hung");
        _time.Advance(TimeSpan.FromSeconds(3));

        await Assert.ThrowsAsync<TimeoutException>(() => _sequencer.ProbeSilent(TimeSpan.FromSeconds(2)));

        Assert.Equal([("hung", 1L, false), ("healthy", 1, false), ("healthy", 2, false), ("healthy", 2, true)], _output.Seen);
    }

    [Fact]
    public async Task Events_that_are_not_about_a_stream_forward_nothing()
    {
        await _sequencer.Accept(new ThreadAccessChanged("t", ["bob"]));

        Assert.Empty(_output.Messages);
        Assert.Equal(0, _sequencer.Count);
    }

    private static TokensAppended Tokens(string streamId, int first, int last) =>
        new("t", "r", streamId, first, [.. Enumerable.Range(first, last - first + 1).Select(FakeHistory.Token)], DateTime.UtcNow);

    private static StreamEnded Ended(string streamId, long lastSequence) =>
        new("t", "r", streamId, lastSequence, string.Concat(Enumerable.Range(1, (int)lastSequence).Select(FakeHistory.Token)), StreamEndReason.Completed, null);

    private static StreamInfo Info(string streamId, long lastSequence, bool done) =>
        new(streamId, "t", "r", lastSequence, done, done ? StreamEndReason.Completed : null, null, DateTimeOffset.UtcNow, null);
}

/// <summary>What a sequencer reported.</summary>
internal sealed class RecordingEvents : SequencerEvents
{
    public int GapsFilled { get; private set; }

    public List<(string StreamId, long Last, long First)> NotFilled { get; } = [];

    public override void GapFilled() => GapsFilled++;

    public override void GapNotFilled(string streamId, long lastForwarded, long firstSequence) => NotFilled.Add((streamId, lastForwarded, firstSequence));
}
