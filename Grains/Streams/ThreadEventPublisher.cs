using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using ReHome.Feed;

namespace ReHome.Grains;

/// <summary>
/// Publishes one stream's events to its thread's Orleans stream with adaptive batching: while a publish is in
/// flight, new tokens queue up, and when it completes they all go as one <see cref="TokensAppended"/>.
/// An idle stream therefore publishes each token at once, and a busy one sends fewer, larger messages.
/// Order is kept: one publish at a time, tokens before the done event. Failed publishes are retried, never dropped.
/// </summary>
/// <remarks>
/// Publishes through the thread feeds' publisher, which is what the stream's <c>OnNextAsync</c> does, without a
/// stream handle per activation. Runs on the grain's scheduler, so its fields need no locking.
/// </remarks>
internal sealed partial class ThreadEventPublisher(
    string threadId,
    string runId,
    string streamId,
    ThreadFeedPublisher feed,
    TimeProvider time,
    ILogger logger)
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(1);

    private readonly StreamId _stream = ThreadStreams.For(threadId);

    private readonly List<string> _open = [];
    private readonly Queue<(ThreadEvent Event, ActivityContext Trace)> _ready = new();
    private long _openFirst;
    private DateTime _openSince;
    private ActivityContext _openTrace;
    private Task _pump = Task.CompletedTask;
    private readonly CancellationTokenSource _stopped = new();

    /// <summary>Completes when everything queued so far has been published.</summary>
    public Task Drained => _pump;

    /// <summary>
    /// Gives up on what is still unpublished (the activation is going away). Viewers recover those events from the
    /// grain: the gateway's silent-stream probe and the browser's sequence checks ask <c>GetTokens</c>.
    /// </summary>
    public void Stop()
    {
        if (!_stopped.IsCancellationRequested && (_ready.Count > 0 || _open.Count > 0 || !_pump.IsCompleted))
        {
            LogAbandoned(streamId, _ready.Count + (_open.Count > 0 ? 1 : 0));
        }

        _stopped.Cancel();
        _ready.Clear();
        _open.Clear();
    }

    public void Tokens(long firstSequence, ReadOnlySpan<string> tokens)
    {
        if (tokens.IsEmpty)
        {
            return;
        }

        // A producer's resend after a crash can restart below what is queued: keep it a separate event.
        if (_open.Count > 0 && _openFirst + _open.Count != firstSequence)
        {
            CloseOpenBatch();
        }

        if (_open.Count == 0)
        {
            _openFirst = firstSequence;
            _openSince = time.GetUtcNow().UtcDateTime;
            _openTrace = GrainTracing.Current;
        }

        _open.AddRange(tokens);
        Kick();
    }

    public void Done(long lastSequence, string? fullResponse, StreamEndReason reason, string? detail)
    {
        CloseOpenBatch();
        _ready.Enqueue((new StreamEnded(threadId, runId, streamId, lastSequence, fullResponse, reason, detail), GrainTracing.Current));
        Kick();
    }

    private void CloseOpenBatch()
    {
        if (_open.Count > 0)
        {
            _ready.Enqueue((new TokensAppended(threadId, runId, streamId, _openFirst, [.. _open], _openSince), _openTrace));
            _open.Clear();
        }
    }

    private void Kick()
    {
        if (_pump.IsCompleted)
        {
            _pump = Pump();
        }
    }

    private async Task Pump()
    {
        // No yield first: a turn's tokens are all in the open batch already (one call appends them together), so
        // the publish starts inside the appending turn and a token does not wait for one more scheduling hop.
        while (true)
        {
            CloseOpenBatch();
            if (!_ready.TryDequeue(out var next))
            {
                return;
            }

            await PublishWithRetry(next.Event, next.Trace);
        }
    }

    private async Task PublishWithRetry(ThreadEvent item, ActivityContext trace)
    {
        using var span = GrainTracing.StartPublish(item, trace);
        item = GrainTracing.Stamp(item, span);
        var delay = TimeSpan.FromMilliseconds(10);
        for (var attempt = 1; !_stopped.IsCancellationRequested; attempt++)
        {
            try
            {
                await feed.Publish(_stream, [item]);
                return;
            }
            catch (Exception ex)
            {
                LogPublishFailed(ex, streamId, attempt, delay);
                try
                {
                    await Task.Delay(delay, time, _stopped.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream {StreamId} stopped publishing with {Count} events unpublished; viewers fetch them from the grain.")]
    private partial void LogAbandoned(string streamId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing events of stream {StreamId} failed (attempt {Attempt}); retrying in {Delay}.")]
    private partial void LogPublishFailed(Exception exception, string streamId, int attempt, TimeSpan delay);
}
