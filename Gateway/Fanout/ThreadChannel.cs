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
    private readonly SemaphoreSlim _gate = new(1, 1);
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
            }

            _references++;
            return true;
        }
        finally
        {
            _gate.Release();
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

    public async Task OnNextAsync(ThreadEvent item, StreamSequenceToken? token = null)
    {
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
        finally
        {
            _gate.Release();
        }
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex)
    {
        LogStreamError(ex, _threadId);
        return Task.CompletedTask;
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

        // Whatever was published while unsubscribed: the tracked streams from where they were, and streams that
        // started meanwhile from their first token.
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
        var progress = Track(e.StreamId, baseline: e.FirstSequence - 1);
        if (progress.Done)
        {
            return;
        }

        if (e.FirstSequence > progress.Last + 1)
        {
            await Fill(e.StreamId, progress);
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
        var progress = Track(e.StreamId, baseline: e.LastSequence);
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
            page = await _grains.GetGrain<IStreamGrain>(streamId).GetTokens(progress.Last);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking the subscription of thread {ThreadId} failed; the next check retries.")]
    private partial void LogCheckFailed(Exception exception, string threadId);
}
