using ReHome.Gateway.Telemetry;

namespace ReHome.Gateway.Hubs;

/// <summary>
/// Counts resumes: a user who lost a connection to a thread (not a clean leave) and joins it again within a minute.
/// </summary>
internal sealed class ResumeTracker(GatewayMetrics metrics, TimeProvider time)
{
    internal static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly object _gate = new();
    private readonly Dictionary<(string User, string Thread), DateTimeOffset> _departures = [];

    /// <summary>Departures oldest first, so each is forgotten once: a burst of disconnects costs what it adds.</summary>
    private readonly Queue<(string User, string Thread, DateTimeOffset At)> _byAge = new();

    /// <summary>Departures not yet forgotten, joined again or not.</summary>
    internal int Held
    {
        get
        {
            lock (_gate)
            {
                return _byAge.Count;
            }
        }
    }

    public void Departed(string userId, string threadId)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            _departures[(userId, threadId)] = now;
            _byAge.Enqueue((userId, threadId, now));
            while (_byAge.TryPeek(out var oldest) && now - oldest.At > Window)
            {
                _byAge.Dequeue();
                // Only if not departed again since: then a newer entry stands for it.
                if (_departures.TryGetValue((oldest.User, oldest.Thread), out var at) && at == oldest.At)
                {
                    _departures.Remove((oldest.User, oldest.Thread));
                }
            }
        }
    }

    public void Joined(string userId, string threadId)
    {
        bool departed;
        DateTimeOffset departedAt;
        lock (_gate)
        {
            departed = _departures.Remove((userId, threadId), out departedAt);
        }

        if (departed && time.GetUtcNow() - departedAt <= Window)
        {
            metrics.Resumed();
        }
    }
}
