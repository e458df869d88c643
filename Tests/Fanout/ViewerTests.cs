using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ReHome.Gateway.Fanout;
using ReHome.Gateway.Telemetry;
using ReHome.Tests.Infrastructure;
using Viewer = ReHome.Gateway.Fanout.Viewer;

namespace ReHome.Tests.Fanout;

/// <summary>One connection's outbound queue: writes at once while the socket keeps up, queues while a write waits,
/// cuts a full queue and says where it was, disconnects a connection that stays behind, and ends a revoked thread.</summary>
public sealed class ViewerTests
{
    private static readonly TimeSpan BehindTimeout = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new();
    private readonly FakeTransport _socket = new();
    private readonly Viewer _viewer;

    public ViewerTests()
    {
        _viewer = new Viewer("c1", "alice", _socket, queueLimit: 3, Metrics(), _time, NullLogger.Instance);
        Assert.True(_viewer.TryJoin("t"));
    }

    internal static GatewayMetrics Metrics() =>
        new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());

    [Fact]
    public void While_the_socket_keeps_up_each_batch_is_written_at_once_on_the_callers_thread()
    {
        _viewer.Send(Batch("t", "s", 1, 2));
        _viewer.Send(Batch("t", "s", 3, 3));

        Assert.Equal([1L, 2, 3], _socket.Sequences);
    }

    [Fact]
    public async Task While_a_write_waits_later_batches_queue_and_follow_in_order()
    {
        _socket.Stall = true;
        _viewer.Send(Batch("t", "s", 1, 1));
        _viewer.Send(Batch("t", "s", 2, 2));
        _viewer.Send(Batch("t", "s", 3, 3));
        Assert.Equal([1L], _socket.Sequences);

        _socket.Release();

        await Eventually.True(() => Task.FromResult(_socket.Sequences.SequenceEqual([1L, 2, 3])));
    }

    [Fact]
    public async Task A_full_queue_is_cut_and_the_connection_is_told_per_stream_the_last_sequence_it_was_sent()
    {
        _socket.Stall = true;
        _viewer.Send(Batch("t", "a", 1, 2));   // being written
        _viewer.Send(Batch("t", "a", 3, 4));   // queued: 3 batches fit
        _viewer.Send(Batch("t", "b", 1, 1));
        _viewer.Send(Done("t", "b", 1));
        _viewer.Send(Batch("t", "a", 5, 5));   // the fourth cuts

        _socket.Release();
        _viewer.Send(Batch("t", "a", 6, 6));   // live messages continue after the notices

        await Eventually.True(() => Task.FromResult(_socket.Written.Count == 4));
        Assert.Equal([1L, 2, 6], _socket.Sequences);
        Assert.Equal([new BehindMessage("t", "a", 2), new BehindMessage("t", "b", 0)], _socket.Written.OfType<BehindMessage>());
        Assert.IsType<BehindMessage>(_socket.Written[1]);
        Assert.False(_socket.Aborted);
    }

    [Fact]
    public async Task A_cut_done_event_whose_tokens_went_out_names_its_last_token()
    {
        _socket.Stall = true;
        _viewer.Send(Batch("t", "s", 1, 3));
        _viewer.Send(Done("t", "s", 3));
        _viewer.Send(Batch("t", "x", 1, 1));
        _viewer.Send(Batch("t", "x", 2, 2));
        _viewer.Send(Batch("t", "x", 3, 3));
        _socket.Release();

        await Eventually.True(() => Task.FromResult(_socket.Written.Count == 3));
        Assert.Equal([new BehindMessage("t", "s", 3), new BehindMessage("t", "x", 0)], _socket.Written.OfType<BehindMessage>());
    }

    [Fact]
    public async Task A_connection_still_behind_after_the_timeout_is_disconnected()
    {
        _socket.Stall = true;
        for (var i = 1; i <= 5; i++)
        {
            _viewer.Send(Batch("t", "s", i, i));
        }

        Assert.True(_viewer.IsBehind);
        _time.Advance(BehindTimeout - TimeSpan.FromSeconds(2));
        Assert.False(_viewer.DisconnectIfStalled(BehindTimeout));

        // Still not reading: more arrives and is cut again, which does not restart the clock.
        for (var i = 6; i <= 9; i++)
        {
            _viewer.Send(Batch("t", "s", i, i));
        }

        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.True(_viewer.DisconnectIfStalled(BehindTimeout));

        await Eventually.True(() => Task.FromResult(_socket.Aborted));
        _viewer.Send(Batch("t", "s", 10, 10));
        Assert.DoesNotContain(10L, _socket.Sequences);
        Assert.False(_viewer.DisconnectIfStalled(BehindTimeout));
    }

    [Fact]
    public void A_connection_whose_socket_takes_nothing_is_disconnected_even_before_its_queue_fills()
    {
        _socket.Stall = true;
        _viewer.Send(Batch("t", "s", 1, 1));

        _time.Advance(BehindTimeout - TimeSpan.FromSeconds(1));
        Assert.False(_viewer.DisconnectIfStalled(BehindTimeout));
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.False(_viewer.IsBehind);
        Assert.True(_viewer.DisconnectIfStalled(BehindTimeout));
        Assert.True(_socket.Aborted);
    }

    [Fact]
    public async Task A_connection_that_caught_up_is_not_disconnected()
    {
        _socket.Stall = true;
        for (var i = 1; i <= 5; i++)
        {
            _viewer.Send(Batch("t", "s", i, i));
        }

        Assert.True(_viewer.IsBehind);
        _socket.Release();
        await Eventually.True(() => Task.FromResult(!_viewer.IsBehind));
        _time.Advance(BehindTimeout * 2);
        _viewer.Send(Batch("t", "s", 6, 6));

        Assert.False(_viewer.DisconnectIfStalled(BehindTimeout));
        Assert.False(_socket.Aborted);
        Assert.Equal([1L, 6], _socket.Sequences);
        Assert.IsType<BehindMessage>(_socket.Written[1]);
    }

    [Fact]
    public async Task A_revoked_thread_loses_what_was_queued_for_it_and_nothing_of_it_follows_the_notice()
    {
        Assert.True(_viewer.TryJoin("other"));
        _socket.Stall = true;
        _viewer.Send(Batch("t", "s", 1, 1));
        _viewer.Send(Batch("t", "s", 2, 2));
        _viewer.Send(Batch("other", "o", 1, 1));

        Assert.True(_viewer.Revoke("t"));
        Assert.False(_viewer.Revoke("t"));
        _viewer.Send(Batch("t", "s", 3, 3));
        _socket.Release();

        await Eventually.True(() => Task.FromResult(_socket.Written.Count == 3));
        Assert.Equal([1L, 1], _socket.Sequences);
        Assert.Equal(new RevokedMessage("t"), _socket.Written[2]);
        Assert.False(_viewer.IsMember("t"));
        Assert.True(_viewer.IsMember("other"));
    }

    [Fact]
    public void A_closed_connection_gets_nothing_and_hands_back_its_threads()
    {
        Assert.True(_viewer.TryJoin("other"));

        Assert.Equal(["other", "t"], _viewer.Close().Order());
        _viewer.Send(Batch("t", "s", 1, 1));

        Assert.Empty(_socket.Written);
        Assert.False(_viewer.TryJoin("t"));
        Assert.True(_viewer.IsClosed);
    }

    [Fact]
    public void A_batch_of_a_thread_not_joined_is_not_sent()
    {
        _viewer.Send(Batch("elsewhere", "s", 1, 1));

        Assert.Empty(_socket.Written);
    }

    [Fact]
    public void A_batch_is_prepared_once_per_format_however_many_connections_write_it()
    {
        var batch = Batch("t", "s", 1, 1);
        var format = new CountingFormat();

        var first = batch.Prepare(format);
        var again = batch.Prepare(format);
        var other = batch.Prepare(new CountingFormat());

        Assert.Same(first, again);
        Assert.NotSame(first, other);
        Assert.Equal(1, format.Prepared);
    }

    internal static OutboundBatch Batch(string threadId, string streamId, int first, int last) =>
        new(threadId, [.. Enumerable.Range(first, last - first + 1).Select(i => new TokenMessage(threadId, "r", streamId, i, FakeHistory.Token(i), false, null, null, null))]);

    private static OutboundBatch Done(string threadId, string streamId, int last) =>
        new(threadId, [new TokenMessage(threadId, "r", streamId, last, null, true, "all", "completed", null)]);

    private sealed class CountingFormat : IWireFormat<object>
    {
        public int Prepared { get; private set; }

        public object Prepare(OutboundBatch batch)
        {
            Prepared++;
            return new object();
        }
    }
}
