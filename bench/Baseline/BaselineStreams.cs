using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using ReHome.Bench.Load;

namespace ReHome.Bench.Baseline;

/// <summary>
/// The baseline's whole state: who may watch each thread, and each stream's counter and tokens, in memory. Each
/// append numbers the token under the stream's lock and sends it to the group at once, one message per token.
/// Callers keep one call per stream in flight (both bench producers do), so sends leave in sequence order.
/// </summary>
internal sealed class BaselineStreams(IHubContext<BaselineAgentHub> hub)
{
    private readonly ConcurrentDictionary<string, HashSet<string>> _threads = new();
    private readonly ConcurrentDictionary<string, Stream> _streams = new();

    public void Configure(string threadId, string ownerUserId, string[] memberUserIds) =>
        _threads[threadId] = [ownerUserId, .. memberUserIds];

    public bool CanAccess(string threadId, string userId) => _threads.TryGetValue(threadId, out var users) && users.Contains(userId);

    public void Start(string threadId, string runId, string streamId)
    {
        if (!_threads.ContainsKey(threadId))
        {
            throw new HubException($"thread_not_found: {threadId}");
        }

        _streams.TryAdd(streamId, new Stream(threadId, runId));
    }

    public async Task<long> Append(string streamId, string token, long? expectedSequence = null)
    {
        var stream = Get(streamId);
        long sequence;
        lock (stream)
        {
            if (stream.Ended || (expectedSequence is { } expected && expected != stream.Last + 1))
            {
                throw new HubException("conflict: the stream ended or the sequence is not the next one.");
            }

            sequence = ++stream.Last;
            stream.Tokens.Add(token);
        }

        await hub.Clients.Group(BaselineAgentHub.Group(stream.ThreadId)).SendAsync(HubContract.TokenEvent,
            new TokenMessage(stream.ThreadId, stream.RunId, streamId, sequence, token, false, null, null, null));
        return sequence;
    }

    public async Task<bool> End(string streamId)
    {
        var stream = Get(streamId);
        string full;
        lock (stream)
        {
            if (stream.Ended)
            {
                return false;
            }

            stream.Ended = true;
            full = string.Concat(stream.Tokens);
        }

        await hub.Clients.Group(BaselineAgentHub.Group(stream.ThreadId)).SendAsync(HubContract.TokenEvent,
            new TokenMessage(stream.ThreadId, stream.RunId, streamId, stream.Last, null, true, full, "completed", null));
        return true;
    }

    private Stream Get(string streamId) =>
        _streams.TryGetValue(streamId, out var stream) ? stream : throw new HubException($"stream_not_found: {streamId}");

    private sealed class Stream(string threadId, string runId)
    {
        public string ThreadId { get; } = threadId;
        public string RunId { get; } = runId;
        public long Last { get; set; }
        public bool Ended { get; set; }
        public List<string> Tokens { get; } = [];
    }
}
