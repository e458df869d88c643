using System.Collections.Concurrent;
using ReHome.Gateway.Telemetry;

namespace ReHome.Gateway.Hubs;

/// <summary>
/// Counts resumes: a user who lost a connection to a thread (not a clean leave) and joins it again within a minute.
/// </summary>
internal sealed class ResumeTracker(GatewayMetrics metrics, TimeProvider time)
{
    internal static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<(string User, string Thread), DateTimeOffset> _departures = new();

    /// <summary>Departures oldest first, so each is forgotten once: a burst of disconnects costs what it adds.</summary>
    private readonly Queue<(string User, string Thread, DateTimeOffset At)> _byAge = new();

    /// <summary>Departures not yet forgotten, joined again or not.</summary>
    internal int Held
    {
        get
        {
            lock (_byAge)
            {
                return _byAge.Count;
            }
        }
    }

    public void Departed(string userId, string threadId)
    {
        var now = time.GetUtcNow();
        _departures[(userId, threadId)] = now;
        lock (_byAge)
        {
            _byAge.Enqueue((userId, threadId, now));
            while (_byAge.TryPeek(out var oldest) && now - oldest.At > Window)
            {
                _byAge.Dequeue();
                // Only if not departed again since: then a newer entry stands for it.
                _departures.TryRemove(KeyValuePair.Create((oldest.User, oldest.Thread), oldest.At));
            }
        }
    }

    public void Joined(string userId, string threadId)
    {
        if (_departures.TryRemove((userId, threadId), out var departedAt) && time.GetUtcNow() - departedAt <= Window)
        {
            metrics.Resumed();
        }
    }
}
