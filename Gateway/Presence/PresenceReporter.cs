using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace ReHome.Gateway.Presence;

/// <summary>
/// Reports this gateway's watchers of each thread to the thread's presence grain: at once when they change or a
/// connection joins, and every <see cref="PresenceOptions.Heartbeat"/> to renew the lease, so a crash of this
/// gateway shows as its reports expiring. A thread whose last local watcher left gets one empty report.
/// </summary>
internal sealed partial class PresenceReporter : BackgroundService
{
    private readonly IGrainFactory _grains;
    private readonly LocalWatchers _watchers;
    private readonly PresenceRelay _relay;
    private readonly PresenceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PresenceReporter> _logger;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ConcurrentDictionary<string, bool> _due = new();
    private readonly ConcurrentDictionary<string, bool> _reported = new();
    private IPresenceObserver? _observer;

    public PresenceReporter(IGrainFactory grains, LocalWatchers watchers, PresenceRelay relay, IOptions<PresenceOptions> options,
        TimeProvider time, ILogger<PresenceReporter> logger)
    {
        _grains = grains;
        _watchers = watchers;
        _relay = relay;
        _options = options.Value;
        _time = time;
        _logger = logger;
        watchers.ReportDue += MarkDue;
    }

    /// <summary>This gateway process in the presence grains' lease tables; a restarted gateway is a new one.</summary>
    public string GatewayId { get; } = "gateway-" + Guid.NewGuid().ToString("N");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _observer = _grains.CreateObjectReference<IPresenceObserver>(_relay);
        _ = Heartbeat(stoppingToken);
        try
        {
            while (await _wake.Reader.WaitToReadAsync(stoppingToken))
            {
                _wake.Reader.TryRead(out _);
                var due = _due.Keys.ToArray();
                foreach (var threadId in due)
                {
                    _due.TryRemove(threadId, out _);
                }

                // One round at a time, so a thread's reports reach its grain in the order its watchers changed.
                await Task.WhenAll(due.Select(Report));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);

        // A clean stop withdraws this gateway's watchers at once rather than a lease later.
        var withdraw = _reported.Keys.Select(threadId => Withdraw(threadId));
        await Task.WhenAll(withdraw).WaitAsync(TimeSpan.FromSeconds(2), _time, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private void MarkDue(string threadId)
    {
        _due[threadId] = true;
        _wake.Writer.TryWrite(true);
    }

    private async Task Heartbeat(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.Heartbeat, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                foreach (var threadId in _watchers.Threads().Concat(_reported.Keys))
                {
                    _due[threadId] = true;
                }

                _wake.Writer.TryWrite(true);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task Report(string threadId)
    {
        var users = _watchers.Users(threadId);
        if (users.Length == 0 && !_reported.ContainsKey(threadId))
        {
            _relay.Forget(threadId);
            return;
        }

        try
        {
            var snapshot = await _grains.GetGrain<IPresenceGrain>(threadId).Report(new PresenceReport(GatewayId, users, _options.Lease, _observer!));
            if (users.Length == 0)
            {
                _reported.TryRemove(threadId, out _);
                _relay.Forget(threadId);
            }
            else
            {
                _reported[threadId] = true;
                _relay.Offer(snapshot);
            }
        }
        catch (Exception ex)
        {
            // The next heartbeat reports the thread again; the lease outlives a couple of missed ones.
            LogReportFailed(ex, threadId);
        }
    }

    private async Task Withdraw(string threadId)
    {
        try
        {
            await _grains.GetGrain<IPresenceGrain>(threadId).Report(new PresenceReport(GatewayId, [], _options.Lease, _observer!));
        }
        catch (Exception ex)
        {
            LogWithdrawFailed(ex, threadId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reporting the watchers of thread {ThreadId} failed; the next heartbeat tries again.")]
    private partial void LogReportFailed(Exception exception, string threadId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Withdrawing the watchers of thread {ThreadId} at shutdown failed; its lease ends them.")]
    private partial void LogWithdrawFailed(Exception exception, string threadId);
}
