using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Storage;
using ReHome.Feed;

namespace ReHome.Grains;

/// <summary>
/// One response stream. Appends are numbered in the grain's turn with no I/O on the path; state is written
/// behind (see <see cref="StreamOptions.CheckpointInterval"/>), while start, end and cancel are durable before they return.
/// </summary>
// Grain type names are pinned: they are part of every stored state key, so a class rename must not change them.
[GrainType("stream")]
internal sealed partial class StreamGrain : Grain, IStreamGrain, IStreamHygiene, IRemindable
{
    private const int MaxReasonChars = 1000;

    /// <summary>The name the stream's head is stored under (part of its storage key).</summary>
    private const string StateName = "stream";

    private readonly IPersistentState<StreamState> _state;
    private readonly IGrainStorage _storage;
    private readonly IGrainStorage _tombstones;
    private readonly StreamOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<StreamGrain> _logger;
    private readonly TokenHistory _history;
    private readonly TokenBucket _tokenRate;
    private readonly TokenChunks _chunks;
    private readonly ThreadFeedPublisher _feeds;
    private readonly StreamHygieneSweep _sweep;

    /// <summary>The stream as it is now; <see cref="_state"/> holds what was last stored.</summary>
    private StreamState _live = new();
    private ThreadEventPublisher? _publisher;

    /// <summary>A Start is in flight (reads interleave with it), so a not-yet-started stream is not forgotten.</summary>
    private bool _starting;

    /// <summary>The run could not be told that this stream ended; retiring tells it.</summary>
    private bool _runNotTold;

    private IGrainTimer? _forget;

    public StreamGrain(
        [PersistentState(StateName, StorageNames.Grains)] IPersistentState<StreamState> state,
        [FromKeyedServices(StorageNames.Grains)] IGrainStorage storage,
        [FromKeyedServices(StorageNames.Tombstones)] IGrainStorage tombstones,
        ThreadFeedPublisher feeds,
        StreamHygieneSweep sweep,
        IOptions<StreamOptions> options,
        TimeProvider time,
        ILogger<StreamGrain> logger)
    {
        _state = state;
        _storage = storage;
        _tombstones = tombstones;
        _feeds = feeds;
        _sweep = sweep;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _history = new TokenHistory(_options.MaxHistoryTokens, _options.MaxHistoryBytes);
        _tokenRate = new TokenBucket(_options.MaxTokensPerSecond, _options.TokenBurst, time);
        _chunks = new TokenChunks(storage, this.GetGrainId(), logger);
    }

    private string StreamId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        ServiceProvider.GetService<StreamsStopFirst>()?.Activated(GrainContext);
        if (_state.State.Phase == StreamPhase.NotStarted && await TryRestoreTombstone())
        {
            return;
        }

        var stored = _state.State;
        _live = Copy(stored);
        _history.Restore(stored.LastSequence, await _chunks.Restore(stored));
        ForgetStoredText();
        _durableThrough = stored.LastSequence;
        _storedSettled = stored.Settled;
        _everStored = _state.RecordExists;
        _interrupted = stored.Phase == StreamPhase.Open && !stored.Settled;
        if (_interrupted)
        {
            LogInterrupted(StreamId, stored.LastSequence);
        }

        if (stored.Phase == StreamPhase.Ended)
        {
            // Finish stores the end before it tells the run; an activation that died in between left the run
            // running. Tell it again when the stream retires (a run ignores a repeat).
            _runNotTold = true;
        }

        if (stored.Phase != StreamPhase.NotStarted)
        {
            // An open stream's earlier activation may have died before its reminder was registered (Start registers it
            // last), and one that is lost now would leave nothing to wake the stream: the first sweep makes sure.
            _hygieneReminderMissing = stored.Phase == StreamPhase.Open;
            _publisher = CreatePublisher();
            WatchHygiene();
        }
    }

    public async Task<StreamInfo> Start(string threadId, string runId)
    {
        Ids.Validate(StreamId, "streamId");
        Ids.Validate(threadId, "threadId");
        Ids.Validate(runId, "runId");

        if (_live.Phase != StreamPhase.NotStarted)
        {
            if (_live.ThreadId == threadId && _live.RunId == runId)
            {
                return Info();
            }

            throw new StreamConflictException(
                $"Stream '{StreamId}' already belongs to thread '{_live.ThreadId}' and run '{_live.RunId}'.");
        }

        _starting = true;
        try
        {
            // The thread enforces its start rate and existence; the run refuses to change threads. Both before anything is stored here.
            var thread = GrainFactory.GetGrain<IThreadGrain>(threadId);
            await thread.StreamStarted(StreamId, runId);
            try
            {
                await GrainFactory.GetGrain<IRunGrain>(runId).StreamStarted(threadId, StreamId);
            }
            catch (StreamConflictException)
            {
                // The run belongs to another thread: the start is refused, so this thread must not list the stream.
                await ForgetOnThread(thread);
                throw;
            }

            var now = _time.GetUtcNow();
            await WriteDurably("start", settled: false, s =>
            {
                s.Phase = StreamPhase.Open;
                s.ThreadId = threadId;
                s.RunId = runId;
                s.StartedAt = now;
                s.LastActivityAt = now;
            });
        }
        finally
        {
            _starting = false;
        }

        _publisher = CreatePublisher();
        WatchHygiene();
        await RegisterHygieneReminder();
        return Info();
    }

    public async ValueTask<long> Append(string token)
    {
        EnsureOpen();
        if (_interrupted)
        {
            throw new StreamInterruptedException(StreamId, _history.LastSequence);
        }

        TextRules.ValidateToken(token, "token", _options.MaxTokenChars);
        TakeTokenRate(1);
        await EnsureUnsettled();
        Apply(_history.LastSequence + 1, new ReadOnlySpan<string>(in token));
        return _history.LastSequence;
    }

    public async ValueTask<AppendAck> AppendMany(long firstSequence, string[] tokens)
    {
        EnsureOpen();
        if (tokens is null)
        {
            throw new InvalidRequestException("tokens", "tokens must not be null.");
        }

        if (tokens.Length == 0)
        {
            // An empty call would be answered with a range that ends before it starts.
            throw new InvalidRequestException("tokens", "tokens must hold at least one token.");
        }

        var maxBatch = Math.Min(_options.MaxTokensPerAppend, _options.TokenBurst);
        if (tokens.Length > maxBatch)
        {
            throw new InvalidRequestException("tokens", $"At most {maxBatch} tokens may be appended in one call.");
        }

        if (firstSequence < 0)
        {
            throw new InvalidRequestException("firstSequence", "firstSequence must be 0 (number them next) or more.");
        }

        var next = _history.LastSequence + 1;
        var indexed = firstSequence > 0;
        if (!indexed && _interrupted)
        {
            throw new StreamInterruptedException(StreamId, _history.LastSequence);
        }

        if (indexed && firstSequence > next)
        {
            return await RefuseGap<AppendAck>(firstSequence);
        }

        // Tokens below the next number are a resend: they must match what the stream holds.
        var overlap = indexed ? (int)Math.Min(next - firstSequence, tokens.Length) : 0;
        for (var i = 0; i < overlap; i++)
        {
            var held = _history.Get(firstSequence + i);
            if (held is not null && held != tokens[i])
            {
                throw new StreamConflictException(
                    $"Stream '{StreamId}' already holds different text at sequence {firstSequence + i}.");
            }
        }

        var fresh = tokens.AsSpan(overlap);
        for (var i = 0; i < fresh.Length; i++)
        {
            TextRules.ValidateToken(fresh[i], $"tokens[{overlap + i}]", _options.MaxTokenChars);
        }

        if (!fresh.IsEmpty)
        {
            TakeTokenRate(fresh.Length);
            await EnsureUnsettled();
            Apply(next, tokens.AsSpan(overlap));
            // Only an indexed append gets here on an interrupted stream: its producer has numbered tokens past the head
            // itself, so numbering is safe again. A resend wholly below the head (a late retry) says nothing about what
            // viewers were shown past it, so it does not get here.
            _interrupted = false;
        }

        return new AppendAck(_history.LastSequence, _durableThrough);
    }

    public Task<bool> End(string? fullResponse, long? expectedLastSequence = null)
    {
        EnsureStarted();
        if (_live.Phase == StreamPhase.Ended)
        {
            return Task.FromResult(false);
        }

        if (_interrupted && expectedLastSequence is null)
        {
            // Viewers may hold tokens past what was stored; ending here would publish a shorter text as the answer.
            throw new StreamInterruptedException(StreamId, _history.LastSequence);
        }

        if (expectedLastSequence is { } expected)
        {
            if (expected > _history.LastSequence)
            {
                return RefuseGap<bool>(expected);
            }

            if (expected < _history.LastSequence)
            {
                throw new StreamConflictException(
                    $"Stream '{StreamId}' holds {_history.LastSequence} tokens, not the {expected} the producer expected.");
            }
        }

        if (fullResponse is null && !_history.IsComplete)
        {
            throw new InvalidRequestException("fullResponse",
                "fullResponse is required: the stream's history was trimmed, so the tokens no longer make up the whole text.");
        }

        if (fullResponse is not null)
        {
            ValidateText(fullResponse, "fullResponse", _options.MaxFullResponseChars);
        }

        return Finish(StreamEndReason.Completed, fullResponse ?? _history.Concat(), detail: null);
    }

    public Task<bool> Cancel(string reason)
    {
        EnsureStarted();
        if (reason is null)
        {
            throw new InvalidRequestException("reason", "reason must not be null.");
        }

        ValidateText(reason, "reason", MaxReasonChars);
        if (_live.Phase == StreamPhase.Ended)
        {
            return Task.FromResult(false);
        }

        return Finish(StreamEndReason.Cancelled, PartialText(), reason);
    }

    public ValueTask<TokenPage> GetTokens(long afterSequence)
    {
        EnsureStarted();
        Sequences.Validate(afterSequence, "afterSequence");

        var (first, tokens) = _history.After(afterSequence);
        return ValueTask.FromResult(new TokenPage(
            StreamId, _live.ThreadId, _live.RunId, first, tokens, _history.LastSequence,
            Complete: first == afterSequence + 1,
            Done: _live.Phase == StreamPhase.Ended,
            _live.Reason, _live.FullResponse, _live.Detail));
    }

    public ValueTask<StreamInfo> GetInfo()
    {
        EnsureStarted();
        return ValueTask.FromResult(Info());
    }

    public async Task<StreamInfo> GetPosition()
    {
        EnsureStarted();
        await StepAsideIfStoredAhead();
        // The producer taking over goes on from here and holds none of the tokens before it: were they not stored, a
        // crash before the next checkpoint would lose tokens that viewers saw and no one can send again.
        if (_live.Phase == StreamPhase.Open && _durableThrough < _history.LastSequence)
        {
            await WriteDurably("position for a producer taking over", settled: false, _ => { });
        }

        return Info();
    }

    private void Apply(long firstSequence, ReadOnlySpan<string> tokens)
    {
        foreach (var token in tokens)
        {
            _history.Append(token);
        }

        _live.LastActivityAt = _time.GetUtcNow();
        UpdateHygieneDue();
        _publisher!.Tokens(firstSequence, tokens);
        ScheduleCheckpoint();
    }

    /// <summary>Ends the stream with a durable write, then tells watchers, the thread and the run.</summary>
    private async Task<bool> Finish(StreamEndReason reason, string? fullResponse, string? detail)
    {
        var now = _time.GetUtcNow();
        // Until the end is stored, or storage says it is not, a number handed out could land behind it.
        _endUnconfirmed = true;
        // Ended is settled: no number will ever be handed out again.
        await WriteDurably(reason.ToString().ToLowerInvariant(), settled: true, s =>
        {
            s.Phase = StreamPhase.Ended;
            s.Reason = reason;
            s.Detail = detail;
            s.FullResponse = fullResponse;
            s.EndedAt = now;
        });
        _endUnconfirmed = false;

        UpdateHygieneDue();
        _publisher!.Done(_history.LastSequence, fullResponse, reason, detail);
        LogEnded(StreamId, reason, _history.LastSequence);
        try
        {
            await Task.WhenAll(
                GrainFactory.GetGrain<IThreadGrain>(_live.ThreadId).StreamEnded(Info()),
                GrainFactory.GetGrain<IRunGrain>(_live.RunId).StreamEnded(StreamId, reason));
        }
        catch (Exception ex)
        {
            // The thread forgets the stream when it retires; the run is told again then (Retire).
            _runNotTold = true;
            LogBookkeepingFailed(ex, StreamId);
        }

        return true;
    }

    private async Task ForgetOnThread(IThreadGrain thread)
    {
        try
        {
            await thread.StreamCleared(StreamId);
        }
        catch (Exception ex)
        {
            // The thread lists a stream that never started; its listing skips streams that do not exist.
            LogThreadNotCleared(ex, StreamId);
        }
    }

    private string? PartialText() => _history.IsComplete ? _history.Concat() : null;

    private void TakeTokenRate(int count)
    {
        if (!_tokenRate.TryTake(count, out var retryAfter))
        {
            throw new RateLimitedException("tokens per stream", retryAfter);
        }
    }

    private static void ValidateText(string text, string field, int maxChars)
    {
        if (text.Length > maxChars)
        {
            throw new InvalidRequestException(field, $"{field} is longer than {maxChars} characters.");
        }

        TextRules.EnsureWellFormed(text, field);
    }

    private void EnsureStarted()
    {
        if (_live.Phase == StreamPhase.NotStarted)
        {
            // Nothing is stored for a stream that never started: it leaves memory soon (see UnknownIds).
            _forget ??= UnknownIds.Forget(this, () => _live.Phase == StreamPhase.NotStarted && !_starting, DeactivateOnIdle);

            Ids.Validate(StreamId, "streamId");
            throw new StreamNotFoundException(StreamId);
        }
    }

    private void EnsureOpen()
    {
        EnsureStarted();
        if (_live.Phase == StreamPhase.Ended)
        {
            throw _live.Reason == StreamEndReason.Cancelled
                ? new StreamCancelledException(StreamId, _live.Detail ?? "")
                : new StreamEndedException(StreamId, _live.Reason ?? StreamEndReason.Completed);
        }
    }

    private StreamInfo Info() => new(
        StreamId, _live.ThreadId, _live.RunId, _history.LastSequence, _live.Phase == StreamPhase.Ended,
        _live.Reason, _live.Detail, _live.StartedAt, _live.EndedAt, _interrupted);

    private ThreadEventPublisher CreatePublisher() => new(_live.ThreadId, _live.RunId, StreamId, _feeds, _time, _logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream {StreamId} resumes from stored sequence {Sequence}: its previous activation ended without storing its last state (its silo failed, or it found another activation's state). Appends without an index are refused until the producer resumes.")]
    private partial void LogInterrupted(string streamId, long sequence);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stream {StreamId} ended ({Reason}) at sequence {Sequence}.")]
    private partial void LogEnded(string streamId, StreamEndReason reason, long sequence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream {StreamId} was refused, but its thread could not be told to forget it.")]
    private partial void LogThreadNotCleared(Exception exception, string streamId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream {StreamId} ended, but its thread or run could not be told.")]
    private partial void LogBookkeepingFailed(Exception exception, string streamId);
}
