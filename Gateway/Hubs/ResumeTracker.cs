using System.Collections.Concurrent;
using ReHome.Gateway.Telemetry;

namespace ReHome.Gateway.Hubs;

/// <summary>
/// Counts resumes: a user who lost a connection to a thread (not a clean leave) and joins it again within a minute.
/// </summary>
internal sealed class ResumeTracker(GatewayMetrics metrics, TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<(string User, string Thread), DateTimeOffset> _departures = new();

    public void Departed(string userId, string threadId)
    {
        var now = time.GetUtcNow();
        _departures[(userId, threadId)] = now;
        if (_departures.Count > 10_000)
        {
            foreach (var old in _departures.Where(d => now - d.Value > Window))
            {
                _departures.TryRemove(old);
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
