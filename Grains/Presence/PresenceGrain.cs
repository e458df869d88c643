using Microsoft.Extensions.Logging;

namespace ReHome.Grains;

/// <summary>
/// A thread's watchers as the gateways report them: a lease per gateway, the union of their users, and a change
/// notice to every reporting gateway when that union changes. Nothing is stored; see <see cref="IPresenceGrain"/>.
/// </summary>
[GrainType("presence")]
internal sealed partial class PresenceGrain(TimeProvider time, ILogger<PresenceGrain> logger) : Grain, IPresenceGrain
{
    private const int MaxUsersPerReport = 100_000;
    private static readonly TimeSpan MinLease = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxLease = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan MaxExpiryCheck = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, GatewayWatchers> _gateways = [];
    private IGrainTimer? _expiryTimer;
    private PresenceSnapshot _snapshot = null!;

    private string ThreadId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // From the clock, so versions keep growing when the grain comes back on another silo after a failover.
        _snapshot = new PresenceSnapshot(ThreadId, time.GetUtcNow().ToUnixTimeMilliseconds() * 1000, []);
        return Task.CompletedTask;
    }

    public ValueTask<PresenceSnapshot> Report(PresenceReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        Ids.Validate(ThreadId, "threadId");
        Validate(report);
        if (report.UserIds.Length == 0)
        {
            _gateways.Remove(report.GatewayId);
        }
        else
        {
            _gateways[report.GatewayId] = new GatewayWatchers(report.UserIds, time.GetUtcNow() + report.Lease, report.Observer);
            EnsureExpiryTimer(report.Lease);
        }

        Publish();
        return ValueTask.FromResult(_snapshot);
    }

    public ValueTask<PresenceSnapshot> Get() => ValueTask.FromResult(_snapshot);

    private static void Validate(PresenceReport report)
    {
        if (!Ids.IsValid(report.GatewayId))
        {
            throw new InvalidRequestException("gatewayId", "gatewayId must be a valid id.");
        }

        if (report.UserIds is null || report.UserIds.Length > MaxUsersPerReport || report.UserIds.Any(string.IsNullOrEmpty))
        {
            throw new InvalidRequestException("userIds", $"userIds must hold at most {MaxUsersPerReport} non-empty ids.");
        }

        if (report.Lease < MinLease || report.Lease > MaxLease)
        {
            throw new InvalidRequestException("lease", $"lease must be between {MinLease} and {MaxLease}.");
        }

        if (report.UserIds.Length > 0 && report.Observer is null)
        {
            throw new InvalidRequestException("observer", "A report with watchers needs an observer.");
        }
    }

    private void EnsureExpiryTimer(TimeSpan lease)
    {
        // A crashed gateway's users drop out at most one check after its lease ends.
        var period = TimeSpan.FromTicks(Math.Min(MaxExpiryCheck.Ticks, lease.Ticks / 4));
        _expiryTimer ??= this.RegisterGrainTimer(ExpireLeases, new GrainTimerCreationOptions(period, period)
        {
            Interleave = false,
            KeepAlive = true,
        });
    }

    private Task ExpireLeases(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var (gatewayId, watchers) in _gateways.Where(g => g.Value.ExpiresAt <= now).ToList())
        {
            _gateways.Remove(gatewayId);
            LogLeaseExpired(ThreadId, gatewayId, watchers.UserIds.Length);
        }

        Publish();
        if (_gateways.Count == 0)
        {
            // Nobody watches: nothing to keep in memory. Reports bring the grain back.
            _expiryTimer?.Dispose();
            _expiryTimer = null;
            DeactivateOnIdle();
        }

        return Task.CompletedTask;
    }

    /// <summary>Takes the union of every gateway's users; when it changed, a new version goes to every gateway.</summary>
    private void Publish()
    {
        var users = _gateways.Values.SelectMany(g => g.UserIds).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (users.AsSpan().SequenceEqual(_snapshot.UserIds))
        {
            return;
        }

        _snapshot = new PresenceSnapshot(ThreadId, _snapshot.Version + 1, users);
        foreach (var watchers in _gateways.Values)
        {
            try
            {
                // One-way: a gateway that died is not waited for; its lease ends its entry.
                _ = watchers.Observer.PresenceChanged(_snapshot);
            }
            catch (Exception ex)
            {
                LogNotifyFailed(ex, ThreadId);
            }
        }
    }

    private sealed record GatewayWatchers(string[] UserIds, DateTimeOffset ExpiresAt, IPresenceObserver Observer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Presence of thread {ThreadId}: gateway {GatewayId} did not renew its lease; its {Users} users drop out.")]
    private partial void LogLeaseExpired(string threadId, string gatewayId, int users);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Presence of thread {ThreadId}: a gateway could not be told of a change.")]
    private partial void LogNotifyFailed(Exception exception, string threadId);
}
