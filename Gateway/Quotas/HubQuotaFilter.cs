using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace ReHome.Gateway.Quotas;

/// <summary>
/// The hub's quotas: connections per user on this gateway (checked as a connection opens) and calls per user per
/// second (a token bucket per user: every connection of the user draws from it, so reconnecting does not refill it).
/// Threads per connection are counted where joins happen, in the hub. Every call counts, refused and malformed ones
/// too, but <c>LeaveThread</c>: it only lets go, and a refused leave would keep the connection in the thread (its
/// tokens, its place among the threads, its user shown watching) until it closes.
/// </summary>
internal sealed class HubQuotaFilter : IHubFilter
{
    private readonly QuotaOptions _options;
    private readonly ConnectionCounts _connections;

    /// <summary>
    /// The connections counted in, by id, with their user: each is counted out once, whichever path ends it. Not a
    /// flag in the connection's <c>Items</c>: that dictionary, allocated on first use, cost each connection ~600 bytes.
    /// This table, like the rate limiter, needs the filter to be one instance: it is a singleton (HubSetup).
    /// </summary>
    private readonly ConcurrentDictionary<string, string> _counted = new(StringComparer.Ordinal);
    private readonly KeyedTokenBuckets _calls;

    public HubQuotaFilter(IOptions<QuotaOptions> options, ConnectionCounts connections, TimeProvider time)
    {
        _options = options.Value;
        _connections = connections;
        _calls = new KeyedTokenBuckets(_options.HubInvocationsPerSecond, _options.HubInvocationBurst, time);
    }

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        var userId = context.Context.UserIdentifier!;
        if (!_connections.TryOpen(userId, _options.ConnectionsPerUser))
        {
            throw ConnectionsExceeded(_options.ConnectionsPerUser);
        }

        _counted[context.Context.ConnectionId] = userId;
        try
        {
            await next(context);
        }
        catch
        {
            Release(context.Context);
            throw;
        }
    }

    public Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        // The quota counts open connections. Leaving the threads after it can wait on the cluster (a relay call
        // through a failing silo), and a reload must not be refused meanwhile.
        Release(context.Context);
        return next(context, exception);
    }

    public ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        // A leave is exempt, or a refused one would keep the connection in the thread. Not the refusable LeaveThread
        // that the protocol makes of an unknown method, a stream call or an upload: those count like any bad call.
        if (context.HubMethodName == HubContract.LeaveThread && context.HubMethodArguments is not [Hubs.InvalidInvocation])
        {
            return next(context);
        }

        if (!_calls.TryTake(context.Context.UserIdentifier!, out var retryAfter))
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            throw new HubException(string.Create(CultureInfo.InvariantCulture,
                $"rate_limited: more than {_options.HubInvocationsPerSecond} calls a second by this user on this gateway; retry in {seconds} s."));
        }

        return next(context);
    }

    /// <summary>The refusal of a connection past <see cref="QuotaOptions.ConnectionsPerUser"/>, at negotiate or as it opens.</summary>
    public static HubException ConnectionsExceeded(int limit) =>
        new(string.Create(CultureInfo.InvariantCulture, $"quota_exceeded: at most {limit} connections per user on this gateway; close another one first."));

    private void Release(HubCallerContext connection)
    {
        if (_counted.TryRemove(connection.ConnectionId, out var userId))
        {
            _connections.Close(userId);
        }
    }
}
