using System.Runtime.ExceptionServices;

namespace ReHome.Gateway.Fanout;

/// <summary>
/// The <see cref="StreamSequencer"/>s of one thread's streams: routes each event to its stream, forgets streams a
/// minute after they ended, probes silent open ones, and catches up after the subscription was taken again.
/// </summary>
/// <remarks>
/// A stream it does not know is one that started after the subscription (<see cref="Baseline"/> noted the others),
/// so it owes viewers all of it, from sequence 1: its first event seen here is not taken as its start. After a
/// failover the agent that takes a thread's queue over delivers from where it starts reading, so that first event
/// may be sequence 106 of a stream whose start went to no one. Not thread-safe: the thread's channel calls it one
/// event at a time.
/// </remarks>
internal sealed class ThreadSequencer(ITokenSource history, IThreadOutput output, TimeProvider time, SequencerEvents events)
{
    private static readonly TimeSpan ForgetEndedAfter = TimeSpan.FromMinutes(1);

    /// <summary>The most ended streams a thread lists (<c>Streams:RecentStreamsPerThread</c> is at most this).</summary>
    private const int MaxForgotten = 10_000;

    private readonly Dictionary<string, StreamSequencer> _streams = [];

    /// <summary>
    /// Ended streams forgotten here, so that catching up can tell them from one that started and ended unseen while
    /// the feed was interrupted. Pruned to what the thread still lists at each catch-up.
    /// </summary>
    private readonly HashSet<string> _forgotten = [];
    private readonly Queue<string> _forgottenInOrder = new();

    /// <summary>Streams tracked now.</summary>
    public int Count => _streams.Count;

    public Task Accept(ThreadEvent e) => e switch
    {
        TokensAppended tokens => Accept(tokens),
        StreamEnded ended => Accept(ended),
        _ => Task.CompletedTask,
    };

    /// <summary>
    /// Where the thread's streams stand as the subscription starts: viewers who join fetch that much themselves
    /// (<c>JoinThread</c>, then <c>GetTokens</c>), so only what comes after is forwarded.
    /// </summary>
    public void Baseline(IEnumerable<StreamInfo> streams)
    {
        foreach (var info in streams)
        {
            Track(info.StreamId, lastForwarded: info.LastSequence).Done = info.Done;
        }
    }

    private async Task Accept(TokensAppended e)
    {
        if (IsForgotten(e.StreamId))
        {
            return;
        }

        var stream = Track(e.StreamId, lastForwarded: 0);
        await stream.Accept(e, time.GetUtcNow());
        ForgetIfGone(stream);
    }

    private async Task Accept(StreamEnded e)
    {
        if (IsForgotten(e.StreamId))
        {
            return;
        }

        var stream = Track(e.StreamId, lastForwarded: 0);
        await stream.Accept(e, time.GetUtcNow());
        ForgetIfGone(stream);
    }

    /// <summary>
    /// Forgets streams that ended a while ago; asks open streams silent longer than <paramref name="silentFor"/> where
    /// they stand. A stream whose grain does not answer holds up none of the others: the first failure is thrown at the end.
    /// </summary>
    public async Task ProbeSilent(TimeSpan silentFor)
    {
        var now = time.GetUtcNow();
        var failures = new StreamFailures();
        foreach (var stream in _streams.Values.ToList())
        {
            if (stream.Done)
            {
                if (now - stream.LastEventAt > ForgetEndedAfter)
                {
                    _streams.Remove(stream.StreamId);
                    Forgot(stream.StreamId);
                }
            }
            else
            {
                await failures.Try(async () =>
                {
                    await stream.ProbeIfSilent(silentFor, now);
                    ForgetIfGone(stream);
                });
            }
        }

        failures.ThrowFirst();
    }

    /// <summary>
    /// After a time without a subscription: the tracked streams from where they were, and streams that started
    /// meanwhile from their first token, including those that also ended meanwhile.
    /// </summary>
    public async Task CatchUp(IReadOnlyCollection<StreamInfo> streams)
    {
        PruneForgotten(streams);
        var failures = new StreamFailures();
        foreach (var info in streams)
        {
            if (_streams.TryGetValue(info.StreamId, out var stream))
            {
                if (!stream.Done && (info.LastSequence > stream.Last || info.Done))
                {
                    await failures.Try(async () =>
                    {
                        await stream.Fill();
                        ForgetIfGone(stream);
                    });
                }
            }
            else if (!info.Done || !_forgotten.Contains(info.StreamId))
            {
                // Not seen here: it started after the subscription (Baseline tracked every stream listed before).
                var started = Track(info.StreamId, lastForwarded: 0);
                await failures.Try(async () =>
                {
                    await started.Fill();
                    ForgetIfGone(started);
                });
            }
        }

        failures.ThrowFirst();
    }

    /// <summary>
    /// An event of a stream that ended, went out and was forgotten: a late copy (a publish retried for over a minute).
    /// Tracked anew from 0, it would send the whole stream again. Stream ids are single-use.
    /// </summary>
    private bool IsForgotten(string streamId) => _forgotten.Contains(streamId) && !_streams.ContainsKey(streamId);

    private void Forgot(string streamId)
    {
        if (_forgotten.Add(streamId))
        {
            _forgottenInOrder.Enqueue(streamId);
            if (_forgottenInOrder.Count > MaxForgotten)
            {
                _forgotten.Remove(_forgottenInOrder.Dequeue());
            }
        }
    }

    /// <summary>A forgotten stream the thread no longer lists cannot come back: its id need not be kept.</summary>
    private void PruneForgotten(IReadOnlyCollection<StreamInfo> listed)
    {
        var keep = listed.Select(info => info.StreamId).Where(_forgotten.Contains).ToHashSet();
        _forgotten.IntersectWith(keep);
        var order = _forgottenInOrder.Where(keep.Contains).ToList();
        _forgottenInOrder.Clear();
        foreach (var id in order)
        {
            _forgottenInOrder.Enqueue(id);
        }
    }

    private void ForgetIfGone(StreamSequencer stream)
    {
        if (stream.Gone)
        {
            _streams.Remove(stream.StreamId);
        }
    }

    private StreamSequencer Track(string streamId, long lastForwarded)
    {
        if (!_streams.TryGetValue(streamId, out var stream))
        {
            stream = new StreamSequencer(streamId, lastForwarded, time.GetUtcNow(), history, output, events);
            _streams[streamId] = stream;
        }

        return stream;
    }

    /// <summary>Runs each stream's part on past a failure, and throws the first failure once all have run.</summary>
    private sealed class StreamFailures
    {
        private ExceptionDispatchInfo? _first;

        public async Task Try(Func<Task> part)
        {
            try
            {
                await part();
            }
            catch (Exception ex)
            {
                _first ??= ExceptionDispatchInfo.Capture(ex);
            }
        }

        public void ThrowFirst() => _first?.Throw();
    }
}
