using Orleans.Streams;
using ReHome.Gateway.Telemetry;

namespace ReHome.Gateway.Fanout;

/// <summary>
/// This gateway's one Orleans subscription to a thread's feed, held while at least one local connection watches
/// the thread: subscribes for the first viewer, unsubscribes after the last, catches up when the feed reports
/// events it could not deliver, and passes the feed to the thread's <see cref="ThreadSequencer"/> (order, dedupe,
/// gap fill) and <see cref="ThreadDispatcher"/> (to each viewer). An access change takes the users who lost access out.
/// </summary>
/// <remarks>
/// Everything that touches the sequencer or the viewers runs under one gate, in event order. Events are taken
/// without making the feed wait (see
/// <see cref="OnNextAsync"/>).
/// </remarks>
internal sealed partial class ThreadChannel : IAsyncObserver<ThreadEvent>
{
    private readonly string _threadId;
    private readonly IGrainFactory _grains;
    private readonly IAsyncStream<ThreadEvent> _feed;
    private readonly ThreadDispatcher _dispatcher;
    private readonly ThreadSequencer _sequencer;
    private readonly GatewayMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Action<ThreadChannel> _closed;
    private readonly Action<Viewer> _revoked;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _arrivals = new();
    private Task _forwarding = Task.CompletedTask;
    private Task _probing = Task.CompletedTask;
    private StreamSubscriptionHandle<ThreadEvent>? _handle;
    private bool _isClosed;

    /// <summary>Under the gate: the feed reported lost events and catching up has not succeeded since.</summary>
    private bool _catchUpOwed;

    /// <summary>
    /// Under the gate: the thread's members as this channel last knew them, while viewers with no user (Pusher
    /// sockets) join. Such a viewer cannot be asked about by user, so a catch-up that finds someone gone from this set
    /// revokes it: its transport has it authorize again at the app.
    /// </summary>
    private HashSet<string>? _membersSeen;

    /// <param name="closed">Called, under the gate, once the channel has closed: the owner forgets it.</param>
    /// <param name="revoked">Called, under the gate, for each viewer taken out because its user lost access.</param>
    public ThreadChannel(string threadId, IClusterClient cluster, GatewayMetrics metrics, TimeProvider time, ILogger logger,
        Action<ThreadChannel> closed, Action<Viewer> revoked)
    {
        _threadId = threadId;
        _grains = cluster;
        _feed = cluster.GetStreamProvider(ThreadStreams.ProviderName).GetStream<ThreadEvent>(ThreadStreams.For(threadId));
        _dispatcher = new ThreadDispatcher(threadId, metrics, time);
        _sequencer = new ThreadSequencer(new GrainTokenSource(cluster, time), _dispatcher, time, new GatewaySequencerEvents(metrics, logger));
        _metrics = metrics;
        _logger = logger;
        _closed = closed;
        _revoked = revoked;
    }

    public string ThreadId => _threadId;

    public bool IsSubscribed => _handle is not null;

    /// <summary>Queues presence for every viewer of the thread; not ordered with its tokens, so no gate.</summary>
    public void SendPresence(PresenceMessage presence)
    {
        foreach (var viewer in _dispatcher.Viewers)
        {
            viewer.Send(presence);
        }
    }

    /// <summary>Adds a viewer, subscribing for the first. False when the channel closed meanwhile: use a new one.</summary>
    public async Task<bool> Acquire(Viewer viewer)
    {
        await _gate.WaitAsync();
        try
        {
            if (_isClosed)
            {
                return false;
            }

            try
            {
                if (_handle is null)
                {
                    _handle = await _feed.SubscribeAsync(this);

                    // Without this baseline, a stream's first event seen here could be mistaken for its start: a
                    // failure fails the join.
                    _sequencer.Baseline(await _grains.GetGrain<IThreadGrain>(_threadId).GetStreams());
                }

                if (viewer.UserId is null)
                {
                    // At every such join: users added since the last one publish no event. A union, so that a removal
                    // this gateway has not heard of yet is still found by the next catch-up.
                    (_membersSeen ??= []).UnionWith(Members(await _grains.GetGrain<IThreadGrain>(_threadId).GetAccess()));
                }
            }
            catch when (_dispatcher.IsEmpty)
            {
                await Close();
                throw;
            }

            _dispatcher.Add(viewer);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Removes a viewer (if it is here), unsubscribing after the last.</summary>
    public async Task Release(Viewer viewer)
    {
        await _gate.WaitAsync();
        try
        {
            if (_dispatcher.Remove(viewer) && _dispatcher.IsEmpty)
            {
                await Close();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Takes the event and returns at once; it is forwarded behind the events before it. The feed delivers to this
    /// process one call at a time across all its threads, so a gap fill awaited here (a grain call that can wait
    /// out its timeout when its silo just died) would stall every thread on this gateway.
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

            if (item is ThreadAccessChanged changed)
            {
                await Revoke(changed.RemovedUserIds);
            }
            else
            {
                await _sequencer.Accept(item);
            }
        }
        catch (Exception ex)
        {
            // A fill failed: nothing past the gap was forwarded. The next event or the silent-stream probe fills it.
            LogForwardFailed(ex, _threadId);
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    /// <summary>
    /// The feed reports that events of this thread may not have reached this gateway: a relay could not deliver
    /// them, or had lost this gateway's subscriptions (its silo died) and has them again now. Catch up from the grains
    /// at once, behind the events already taken, rather than wait for the stream's next event or the silent-stream
    /// probe; an access change may have been among the lost events, so ask about the users watching here too.
    /// </summary>
    public Task OnErrorAsync(Exception ex)
    {
        LogFeedInterrupted(ex, _threadId);
        _metrics.FeedInterrupted();
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
            _catchUpOwed = true;
            await CatchUp();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Under the gate. Access first: a revocation may have been among the lost events, and a stream grain that cannot
    /// answer must not delay taking a user out. Until both parts succeed the catch-up stays owed, and the next probe
    /// tries again.
    /// </summary>
    private async Task CatchUp()
    {
        try
        {
            var thread = _grains.GetGrain<IThreadGrain>(_threadId);
            if (_handle is not null)
            {
                await RecheckAccess(thread);
            }

            if (_handle is not null)
            {
                await _sequencer.CatchUp(await thread.GetStreams());
            }

            _catchUpOwed = false;
        }
        catch (Exception ex)
        {
            LogCatchUpFailed(ex, _threadId);
        }
    }

    /// <summary>One read of the access list, for every user watching here and for the viewers with no user.</summary>
    private async Task RecheckAccess(IThreadGrain thread)
    {
        var members = Members(await thread.GetAccess());
        var lost = _dispatcher.Viewers.Select(v => v.UserId).OfType<string>().Where(user => !members.Contains(user)).Distinct().ToList();
        var someoneLeft = _membersSeen is { } seen && !seen.IsSubsetOf(members);
        if (_membersSeen is not null)
        {
            _membersSeen = members;
        }

        if (lost.Count > 0 || someoneLeft)
        {
            await Revoke(lost);
        }
    }

    /// <summary>Who may watch: the owner and the members; no one once the thread is gone.</summary>
    private static HashSet<string> Members(ThreadAccess? access) =>
        access is null ? [] : [access.OwnerUserId, .. access.MemberUserIds];

    /// <summary>
    /// Starts asking the thread's open streams silent longer than <paramref name="silentFor"/> for their state,
    /// unless the previous probe is still waiting for an answer. Called by one loop only.
    /// </summary>
    public void StartProbe(TimeSpan silentFor)
    {
        if (_probing.IsCompleted)
        {
            _probing = Probe(silentFor);
        }
    }

    private async Task Probe(TimeSpan silentFor)
    {
        await _gate.WaitAsync();
        try
        {
            if (_catchUpOwed)
            {
                await CatchUp();
                if (!_catchUpOwed)
                {
                    return; // every listed stream was filled
                }
            }

            // Also while a catch-up keeps failing: one of the thread's grains that cannot answer must not hold up
            // the streams whose grains do.
            if (_handle is not null)
            {
                await _sequencer.ProbeSilent(silentFor);
            }
        }
        catch (Exception ex)
        {
            LogProbeFailed(ex, _threadId);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Takes the connections of users who lost access out of the thread, and tells them. A connection with no user (a
    /// Pusher socket: the app's signature authorized its channel, not a user this gateway knows) may be one of theirs,
    /// so it goes too; its transport has it authorize again at the app, which refuses the users who lost access.
    /// </summary>
    private async Task Revoke(IReadOnlyCollection<string> users)
    {
        var removed = users.ToHashSet();
        _membersSeen?.ExceptWith(removed);
        foreach (var viewer in _dispatcher.Viewers)
        {
            if (viewer.UserId is not { } user || removed.Contains(user))
            {
                if (viewer.Revoke(_threadId))
                {
                    _revoked(viewer);
                }

                _dispatcher.Remove(viewer);
            }
        }

        if (_dispatcher.IsEmpty)
        {
            await Close();
        }
    }

    private async Task Close()
    {
        _isClosed = true;
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

        _closed(this);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unsubscribing from thread {ThreadId} failed.")]
    private partial void LogUnsubscribeFailed(Exception exception, string threadId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarding an event of thread {ThreadId} failed; the next event or the silent-stream probe fills what it held.")]
    private partial void LogForwardFailed(Exception exception, string threadId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The feed of thread {ThreadId} may have lost events; catching up.")]
    private partial void LogFeedInterrupted(Exception exception, string threadId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Catching up on thread {ThreadId} failed; the next probe tries again.")]
    private partial void LogCatchUpFailed(Exception exception, string threadId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Probing the silent streams of thread {ThreadId} failed; the next probe retries.")]
    private partial void LogProbeFailed(Exception exception, string threadId);
}
