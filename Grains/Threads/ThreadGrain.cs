using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace ReHome.Grains;

/// <summary>
/// A thread's access list and streams. Deleted <see cref="StreamOptions.ThreadRetention"/> after its last activity
/// (configure, stream start or end), by a durable reminder; see <see cref="RetentionReminder"/>.
/// </summary>
[GrainType("thread")]
internal sealed partial class ThreadGrain : Grain, IThreadGrain, IRemindable
{
    private const int MaxUserIdLength = 256;
    private const int MaxMembers = 100_000;

    private readonly IPersistentState<ThreadState> _state;
    private readonly StreamOptions _options;
    private readonly TimeProvider _time;
    private readonly TokenBucket _starts;
    private readonly ILogger<ThreadGrain> _logger;
    private HashSet<string> _members = [];
    private IGrainTimer? _forget;

    public ThreadGrain(
        [PersistentState("thread", StorageNames.Grains)] IPersistentState<ThreadState> state,
        IOptions<StreamOptions> options,
        TimeProvider time,
        ILogger<ThreadGrain> logger)
    {
        _state = state;
        _options = options.Value;
        _time = time;
        _logger = logger;
        var perMinute = _options.StreamStartsPerThreadPerMinute;
        _starts = new TokenBucket(perMinute / 60.0, perMinute, time);
    }

    private string ThreadId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _members = ToMemberSet(_state.State.Access);
        if (_state.RecordExists && _state.State.LastActivityAt == default)
        {
            // Stored before threads expired: its retention starts now, stored so that reads alone do not restart it.
            _state.State.LastActivityAt = _time.GetUtcNow();
            try
            {
                await _state.WriteStateAsync();
                await ScheduleRetention();
            }
            catch (Exception ex)
            {
                LogRetentionNotScheduled(ex, ThreadId);
            }
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != RetentionReminder.Name)
        {
            return;
        }

        if (!_state.RecordExists)
        {
            await RetentionReminder.Cancel(this);
            return;
        }

        if (RetentionReminder.Expired(_state.State.LastActivityAt, _options.ThreadRetention, _time.GetUtcNow()))
        {
            LogExpired(ThreadId, _state.State.LastActivityAt, _state.State.Streams.Count);
            // Its users lose access now; a connection still in the thread must not get what a later configure allows.
            // A publish that fails throws, and the next tick tries again.
            await PublishRemovals([]);
            // Announced: so no one has access from now, even if the delete fails and is retried at the next tick.
            _members = [];
            await _state.ClearWhateverIsStored();
            await RetentionReminder.Cancel(this);
            DeactivateOnIdle();
        }
    }

    public async Task Configure(ThreadAccess access)
    {
        Ids.Validate(ThreadId, "threadId");
        Validate(access);
        var members = ToMemberSet(access);
        // Before the removal is announced, so that sockets reopened on the announcement count as after it.
        var now = _time.GetUtcNow();
        var narrowed = await PublishRemovals(members);
        var (previous, previousActivity, previousNarrowed) = (_state.State.Access, _state.State.LastActivityAt, _state.State.AccessNarrowedAt);
        _state.State.Access = access;
        _state.State.LastActivityAt = now;
        if (narrowed)
        {
            _state.State.AccessNarrowedAt = now;
        }

        try
        {
            await _state.WriteOrStepAside(this);
        }
        catch (Exception ex) when (ex is not ReHomeException)
        {
            (_state.State.Access, _state.State.LastActivityAt, _state.State.AccessNarrowedAt) = (previous, previousActivity, previousNarrowed);
            throw new StorageUnavailableException($"Thread '{ThreadId}' could not store its access list.", ex);
        }

        _members = members;
        await ScheduleRetention();
    }

    /// <summary>
    /// Tells every gateway subscribed to the thread who lost access, so their connections leave it. Published before
    /// the change is stored: when the store then fails, some connections left a thread they may still join again,
    /// never the other way round. A publish that fails refuses the change. True when someone lost access.
    /// </summary>
    private async Task<bool> PublishRemovals(HashSet<string> members)
    {
        var removed = _members.Where(user => !members.Contains(user)).ToArray();
        if (removed.Length == 0)
        {
            return false;
        }

        try
        {
            await this.GetStreamProvider(ThreadStreams.ProviderName).GetStream<ThreadEvent>(ThreadStreams.For(ThreadId))
                .OnNextAsync(new ThreadAccessChanged(ThreadId, removed));
        }
        catch (Exception ex)
        {
            throw new StorageUnavailableException($"Thread '{ThreadId}' could not tell the gateways who lost access; nothing was changed.", ex);
        }

        return true;
    }

    public ValueTask<ThreadAccess?> GetAccess() => ValueTask.FromResult(_state.State.Access);

    public ValueTask<TimeSpan?> SinceAccessNarrowed()
    {
        ForgetIfUnknown();
        return ValueTask.FromResult(_time.GetUtcNow() - _state.State.AccessNarrowedAt);
    }

    public ValueTask<bool> CanAccess(string userId)
    {
        ForgetIfUnknown();
        return ValueTask.FromResult(!string.IsNullOrEmpty(userId) && _members.Contains(userId));
    }

    public async Task<StreamInfo[]> GetStreams()
    {
        ForgetIfUnknown();
        var entries = _state.State.Streams
            .OrderBy(e => e.Ended)
            .ThenByDescending(e => e.StartedAt)
            .ToList();
        var infos = await Task.WhenAll(entries.Select(e => e.Final is { } final ? Task.FromResult<StreamInfo?>(final) : TryGetInfo(e.StreamId)));
        return [.. infos.OfType<StreamInfo>()];
    }

    public async Task StreamStarted(string streamId, string runId)
    {
        if (_state.State.Access is null)
        {
            throw new ThreadNotFoundException(ThreadId);
        }

        if (_state.State.Streams.Any(e => e.StreamId == streamId))
        {
            return;
        }

        if (!_starts.TryTake(1, out var retryAfter))
        {
            throw new RateLimitedException("stream starts per thread", retryAfter);
        }

        var entry = new ThreadStreamEntry { StreamId = streamId, RunId = runId, StartedAt = _time.GetUtcNow() };
        _state.State.Streams.Add(entry);
        _state.State.LastActivityAt = entry.StartedAt;
        try
        {
            await _state.WriteOrStepAside(this);
        }
        catch (Exception ex) when (ex is not ReHomeException)
        {
            // Not stored: forget it too, so the producer's retry writes it rather than finding it and skipping the write.
            _state.State.Streams.Remove(entry);
            throw new StorageUnavailableException($"Thread '{ThreadId}' could not store its stream '{streamId}'.", ex);
        }
    }

    public Task StreamEnded(StreamInfo final) => Ended(final.StreamId, final);

    public Task StreamEnded(string streamId) => Ended(streamId, final: null);

    private async Task Ended(string streamId, StreamInfo? final)
    {
        var entry = _state.State.Streams.Find(e => e.StreamId == streamId);
        if (entry is null || entry.Ended)
        {
            return;
        }

        entry.Ended = true;
        entry.Final = final;
        _state.State.LastActivityAt = _time.GetUtcNow();
        var ended = _state.State.Streams.Where(e => e.Ended).OrderBy(e => e.StartedAt).ToList();
        foreach (var old in ended.Take(ended.Count - _options.RecentStreamsPerThread))
        {
            _state.State.Streams.Remove(old);
        }

        await _state.WriteOrStepAside(this);
    }

    public async Task StreamCleared(string streamId)
    {
        if (_state.State.Streams.RemoveAll(e => e.StreamId == streamId) > 0)
        {
            await _state.WriteOrStepAside(this);
        }
    }

    private async Task ScheduleRetention()
    {
        try
        {
            await RetentionReminder.Schedule(this, _options.ThreadRetention, _options.RetentionCheckPeriod);
        }
        catch (Exception ex)
        {
            // The thread works without it; it is scheduled again at its next configure.
            LogRetentionNotScheduled(ex, ThreadId);
        }
    }

    private async Task<StreamInfo?> TryGetInfo(string streamId)
    {
        try
        {
            return await GrainFactory.GetGrain<IStreamGrain>(streamId).GetInfo();
        }
        catch (StreamNotFoundException)
        {
            return null;
        }
    }

    /// <summary>A thread no backend configured leaves memory soon after a viewer asked about it (see <see cref="UnknownIds"/>).</summary>
    private void ForgetIfUnknown()
    {
        _forget ??= IsUnknown ? UnknownIds.Forget(this, () => IsUnknown, DeactivateOnIdle) : null;
    }

    private bool IsUnknown => _state.State.Access is null && _state.State.Streams.Count == 0;

    private static HashSet<string> ToMemberSet(ThreadAccess? access) =>
        access is null ? [] : [access.OwnerUserId, .. access.MemberUserIds];

    private static void Validate(ThreadAccess? access)
    {
        if (access is null)
        {
            throw new InvalidRequestException("access", "access is required.");
        }

        ValidateUserId(access.OwnerUserId, "ownerUserId");
        if (access.MemberUserIds is null)
        {
            throw new InvalidRequestException("memberUserIds", "memberUserIds is required; it may be empty.");
        }

        if (access.MemberUserIds.Length > MaxMembers)
        {
            throw new InvalidRequestException("memberUserIds", $"A thread has at most {MaxMembers} members.");
        }

        for (var i = 0; i < access.MemberUserIds.Length; i++)
        {
            ValidateUserId(access.MemberUserIds[i], $"memberUserIds[{i}]");
        }

        ValidateOptionalId(access.WorkspaceId, "workspaceId");
        ValidateOptionalId(access.ProjectId, "projectId");
    }

    private static void ValidateUserId(string? userId, string field)
    {
        if (string.IsNullOrWhiteSpace(userId))
        {
            throw new InvalidRequestException(field, $"{field} is required.");
        }

        if (userId.Length > MaxUserIdLength || userId.Any(char.IsControl))
        {
            throw new InvalidRequestException(field, $"{field} must be at most {MaxUserIdLength} characters with no control characters.");
        }
    }

    private static void ValidateOptionalId(string? id, string field)
    {
        if (id is not null && (id.Length > MaxUserIdLength || id.Any(char.IsControl)))
        {
            throw new InvalidRequestException(field, $"{field} must be at most {MaxUserIdLength} characters with no control characters.");
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Thread {ThreadId} expired (last activity {LastActivityAt:O}, {Streams} streams listed); its state is deleted.")]
    private partial void LogExpired(string threadId, DateTimeOffset lastActivityAt, int streams);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Thread {ThreadId} could not schedule its retention reminder; it expires only once configured again.")]
    private partial void LogRetentionNotScheduled(Exception exception, string threadId);
}
