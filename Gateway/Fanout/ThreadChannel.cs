using Orleans.Streams;
using Orleans.Streams.Core;
using ReHome.Gateway.Hubs;
using ReHome.Gateway.Telemetry;

namespace ReHome.Gateway.Fanout;

/// <summary>
/// This gateway's one Orleans subscription to a thread, shared by every local connection that joined it
/// (reference-counted), and the forwarding of its events to the thread's SignalR group.
/// </summary>
/// <remarks>
/// The channel keeps each stream's last forwarded sequence, so it drops duplicates (a producer's resend after a
/// silo crash) and fills gaps (events lost with a dead silo's queue) from the stream grain before forwarding, and
/// it re-creates the subscription when Orleans has deleted it. Everything runs under one gate, in event order.
/// It never forwards past a gap it could not fill (see <see cref="Forward(TokensAppended)"/>), and it never makes
/// Orleans wait for a grain call (see <see cref="OnNextAsync"/>).
/// </remarks>
internal sealed partial class ThreadChannel : IAsyncObserver<ThreadEvent>
{
    private readonly string _threadId;
    private readonly IGrainFactory _grains;
    private readonly IAsyncStream<ThreadEvent> _stream;
    private readonly IStreamSubscriptionManager _subscriptions;
    private readonly GroupSender _sender;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    /// <summary>
    /// How long a fill waits for the grain before it asks again (see <see cref="GetTokens"/>). A call in flight to a
    /// silo that just died is never answered, and the thread's events wait behind the fill.
    /// </summary>
    private static readonly TimeSpan FillHedgeDelay = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly object _arrivals = new();
    private Task _forwarding = Task.CompletedTask;
    private readonly Dictionary<string, StreamProgress> _progress = [];
    private StreamSubscriptionHandle<ThreadEvent>? _handle;
    private int _references;
    private bool _closed;

    public ThreadChannel(string threadId, IClusterClient cluster, GroupSender sender, GatewayMetrics metrics, TimeProvider time, ILogger logger)
    {
        _threadId = threadId;
        _grains = cluster;
        _stream = cluster.GetStreamProvider(ThreadStreams.ProviderName).GetStream<ThreadEvent>(ThreadStreams.For(threadId));
        _subscriptions = cluster.ServiceProvider.GetRequiredService<IStreamSubscriptionManagerAdmin>()
            .GetStreamSubscriptionManager(StreamSubscriptionManagerType.ExplicitSubscribeOnly);
        _sender = sender;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    public bool IsSubscribed => _handle is not null;

    /// <summary>Takes a reference, subscribing on the first. False when the channel closed meanwhile: use a new one.</summary>
    public async Task<bool> Acquire()
    {
        await _gate.WaitAsync();
        try
        {
            if (_closed)
            {
                return false;
            }

            if (_references == 0)
            {
                _handle = await _stream.SubscribeAsync(this);
                await TrackOpenStreams();
            }

            _references++;
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Notes where each stream already open on the thread stands as the subscription starts: viewers who join fetch
    /// that much themselves (JoinThread, then GetTokens). A stream the channel does not know of afterwards started
    /// after the subscription, so this channel owes its viewers all of it, from sequence 1.
    /// </summary>
    private async Task TrackOpenStreams()
    {
        try
        {
            foreach (var info in await _grains.GetGrain<IThreadGrain>(_threadId).GetStreams())
            {
                Track(info.StreamId, baseline: info.LastSequence).Done = info.Done;
            }
        }
        catch
        {
            // Without the baseline, a stream's first event could be mistaken for its start: fail the join instead.
            var handle = _handle!;
            _handle = null;
            await handle.UnsubscribeAsync();
            throw;
        }
    }

    /// <summary>Drops a reference, unsubscribing after the last. True when the channel is now closed.</summary>
    public async Task<bool> Release()
    {
        await _gate.WaitAsync();
        try
        {
            if (--_references > 0)
            {
                return false;
            }

            _closed = true;
            if (_handle is { } handle)
            {
                _handle = null;
                try
                {
                    await handle.UnsubscribeAsync();
                }
                catch (Exception ex)
                {
                    LogUnsubscribeFailed(ex, _threadId);
                }
            }

            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Takes the event and returns at once; it is forwarded behind the events before it. An Orleans client runs its
    /// stream deliveries one at a time across all its subscriptions, so a gap fill awaited here (a grain call that
    /// can wait out the response timeout when its silo just died) would stall every thread on this gateway.
    /// </summary>
    public Task OnNextAsync(ThreadEvent item, StreamSequenceToken? token = null)
    {
        lock (_arrivals)
        {
            _forwarding = ForwardAfter(_forwarding, item);
        }

        return Task.CompletedTask;
    }

    private async Task ForwardAfter(Task previous, ThreadEvent item)
    {
        // Never faults (see below), so one failed event cannot stop the ones behind it.
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        using var delivery = DeliveryTracing.StartDelivery(item);
        await _gate.WaitAsync();
        try
        {
            if (_handle is null)
            {
                return;
            }

            switch (item)
            {
                case TokensAppended tokens:
                    await Forward(tokens);
                    break;
                case StreamEnded ended:
                    await Forward(ended);
                    break;
            }
        }
        catch (Exception ex)
        {
            // A fill failed: the event is not forwarded past the gap. The next event or the silent-stream probe fills it.
            LogForwardFailed(ex, _threadId);
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    /// <summary>
    /// Orleans reports a delivery it could not make, such as a pulling agent that took the thread's queue over
    /// (a silo restarted) and no longer caches what this subscription was owed (<c>QueueCacheMissException</c>):
    /// it goes on from the newest event, so the events in between never come. Catch up from the grains at once,
    /// behind the events already taken, rather than wait for the stream's next event or the silent-stream probe.
    /// </summary>
    public Task OnErrorAsync(Exception ex)
    {
        LogStreamError(ex, _threadId);
        lock (_arrivals)
        {
            _forwarding = CatchUpAfter(_forwarding);
        }

        return Task.CompletedTask;
    }

    private async Task CatchUpAfter(Task previous)
    {
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _gate.WaitAsync();
        try
        {
            if (_handle is not null)
            {
                await CatchUp();
            }
        }
        catch (Exception ex)
        {
            LogCheckFailed(ex, _threadId);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Re-creates the subscription if Orleans no longer has it, then catches up on what was missed;
    /// and asks silent open streams for their state.
    /// </summary>
    public async Task Check(bool verifySubscription, TimeSpan silentFor)
    {
        await _gate.WaitAsync();
        try
        {
            if (_handle is null)
            {
                return;
            }

            if (verifySubscription)
            {
                var current = await _subscriptions.GetSubscriptions(ThreadStreams.ProviderName, ThreadStreams.For(_threadId));
                if (!current.Any(s => s.SubscriptionId == _handle.HandleId))
                {
                    await Resubscribe();
                    return;
                }
            }

            var now = _time.GetUtcNow();
            foreach (var (streamId, progress) in _progress.ToList())
            {
                if (progress.Done)
                {
                    if (now - progress.LastEventAt > TimeSpan.FromMinutes(1))
                    {
                        _progress.Remove(streamId);
                    }
                }
                else if (now - progress.LastEventAt > silentFor)
                {
                    progress.LastEventAt = now;
                    await Fill(streamId, progress);
                }
            }
        }
        catch (Exception ex)
        {
            LogCheckFailed(ex, _threadId);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task Resubscribe()
    {
        LogResubscribing(_threadId);
        _metrics.Resubscribed();
        try
        {
            await _handle!.UnsubscribeAsync();
        }
        catch (Exception ex)
        {
            LogUnsubscribeFailed(ex, _threadId);
        }

        _handle = await _stream.SubscribeAsync(this);
        await CatchUp();
    }

    /// <summary>
    /// Whatever the subscription missed: the tracked streams from where they were, and streams that started
    /// meanwhile (and were never seen) from their first token.
    /// </summary>
    private async Task CatchUp()
    {
        foreach (var info in await _grains.GetGrain<IThreadGrain>(_threadId).GetStreams())
        {
            if (_progress.TryGetValue(info.StreamId, out var progress))
            {
                if (!progress.Done && (info.LastSequence > progress.Last || info.Done))
                {
                    await Fill(info.StreamId, progress);
                }
            }
            else if (!info.Done)
            {
                await Fill(info.StreamId, Track(info.StreamId, baseline: 0));
            }
        }
    }

    private async Task Forward(TokensAppended e)
    {
        // A stream first seen here started after the subscription (see TrackOpenStreams): if this event is not its
        // first, the ones before it were lost on the way (with a dead silo's stream queue or pulling agent), and the
        // fill below fetches them. Taking this event as the start would show viewers a jump.
        var progress = Track(e.StreamId, baseline: 0);
        if (progress.Done)
        {
            return;
        }

        if (e.FirstSequence > progress.Last + 1)
        {
            await Fill(e.StreamId, progress);
            if (e.FirstSequence > progress.Last + 1 && !progress.Done)
            {
                // The grain does not hold the tokens before this event: a dead activation numbered them and its
                // successor came back from an older checkpoint. The producer resends them under the same numbers, and
                // they reach viewers then (this event's tokens with them); forwarding now would show a jump.
                LogGapNotFilled(e.StreamId, progress.Last, e.FirstSequence);
                return;
            }
        }

        // Tokens at or below the last forwarded one are a producer's resend: viewers already have them.
        var skip = (int)Math.Max(0, progress.Last + 1 - e.FirstSequence);
        if (skip < e.Tokens.Length && !progress.Done)
        {
            _sender.Enqueue(e, skip);
            progress.Last = e.LastSequence;
        }

        progress.LastEventAt = _time.GetUtcNow();
    }

    private async Task Forward(StreamEnded e)
    {
        var progress = Track(e.StreamId, baseline: 0);
        if (progress.Done)
        {
            return;
        }

        if (e.LastSequence > progress.Last)
        {
            await Fill(e.StreamId, progress);
        }

        if (!progress.Done)
        {
            _sender.Enqueue([TokenMessage.ForDone(e)], null);
            progress.Done = true;
        }

        progress.LastEventAt = _time.GetUtcNow();
    }

    /// <summary>Forwards what the stream grain has after the last forwarded sequence, and its done event if it is done.</summary>
    private async Task Fill(string streamId, StreamProgress progress)
    {
        TokenPage page;
        try
        {
            page = await GetTokens(streamId, progress.Last);
        }
        catch (StreamNotFoundException)
        {
            _progress.Remove(streamId);
            return;
        }

        if (page.Tokens.Length > 0 || page.Done)
        {
            // Only a probe that found something is a gap filled; most probes of a pausing model find nothing.
            _metrics.GapFilled();
        }

        if (page.Tokens.Length > 0)
        {
            var messages = new TokenMessage[page.Tokens.Length];
            for (var i = 0; i < messages.Length; i++)
            {
                messages[i] = new TokenMessage(page.ThreadId, page.RunId, streamId, page.FirstSequence + i, page.Tokens[i], false, null, null, null);
            }

            _sender.Enqueue(messages, null);
            progress.Last = page.LastSequence;
        }

        if (page.Done)
        {
            _sender.Enqueue([new TokenMessage(page.ThreadId, page.RunId, streamId, page.LastSequence, null, true,
                page.FullResponse, Reasons.Name(page.Reason), page.Detail)], null);
            progress.Done = true;
        }
    }

    /// <summary>
    /// The grain's tokens after <paramref name="after"/>. Unanswered after <see cref="FillHedgeDelay"/>, the same call
    /// is sent again (a silo that just died holds the first one, and the second reaches the grain's new activation)
    /// and the first answer wins. The first call is never abandoned: on a starved machine a grain that answers in
    /// more than the delay must still fill the gap, not see every fill given up and retried behind a growing backlog.
    /// </summary>
    private async Task<TokenPage> GetTokens(string streamId, long after)
    {
        var grain = _grains.GetGrain<IStreamGrain>(streamId);
        var first = grain.GetTokens(after).AsTask();
        using (var hedge = new CancellationTokenSource())
        {
            if (await Task.WhenAny(first, Task.Delay(FillHedgeDelay, _time, hedge.Token)) == first)
            {
                await hedge.CancelAsync();
                return await first;
            }
        }

        var second = grain.GetTokens(after).AsTask();
        var answered = await Task.WhenAny(first, second);
        var other = answered == first ? second : first;
        if (!answered.IsCompletedSuccessfully)
        {
            // That one failed (its silo died); the other may still answer, and its failure is the one to report.
            _ = answered.Exception;
            return await other;
        }

        _ = other.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return answered.Result;
    }

    private StreamProgress Track(string streamId, long baseline)
    {
        if (!_progress.TryGetValue(streamId, out var progress))
        {
            progress = new StreamProgress { Last = baseline, LastEventAt = _time.GetUtcNow() };
            _progress[streamId] = progress;
        }

        return progress;
    }

    private sealed class StreamProgress
    {
        public long Last { get; set; }
        public bool Done { get; set; }
        public DateTimeOffset LastEventAt { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The subscription to thread {ThreadId} is gone from Orleans; subscribing again and catching up.")]
    private partial void LogResubscribing(string threadId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unsubscribing from thread {ThreadId} failed.")]
    private partial void LogUnsubscribeFailed(Exception exception, string threadId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The stream of thread {ThreadId} reported an error.")]
    private partial void LogStreamError(Exception exception, string threadId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarding an event of thread {ThreadId} failed; the next event or the silent-stream probe fills what it held.")]
    private partial void LogForwardFailed(Exception exception, string threadId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream {StreamId} holds no tokens after {Last} yet, but an event starts at {First}: it is not forwarded; the producer resends the missing tokens and they go out then.")]
    private partial void LogGapNotFilled(string streamId, long last, long first);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking the subscription of thread {ThreadId} failed; the next check retries.")]
    private partial void LogCheckFailed(Exception exception, string threadId);
}
