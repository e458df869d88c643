using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using ReHome.Gateway.Quotas;

namespace ReHome.Gateway.Pusher;

/// <summary>
/// The open Pusher connections of this gateway, by socket id: the token page asks whether a socket holds a
/// channel, and a sweep pings silent clients and closes those that stay silent. It also admits new sockets within
/// the connection quotas, counted from before a socket is set up to after it is gone.
/// </summary>
internal sealed class PusherConnections(IOptions<PusherOptions> options, TimeProvider time) : BackgroundService
{
    private readonly ConcurrentDictionary<string, PusherConnection> _open = new();
    private readonly ConnectionCounts _perAddress = new();
    private int _admitted;

    public int Count => _open.Count;

    /// <summary>
    /// Counts in a socket from <paramref name="address"/> unless this gateway or that address holds its quota; the
    /// refusal to send otherwise. Every admitted socket is <see cref="Release"/>d once.
    /// </summary>
    public string? TryAdmit(string address)
    {
        var settings = options.Value;
        if (Interlocked.Increment(ref _admitted) > settings.MaxConnections)
        {
            Interlocked.Decrement(ref _admitted);
            return string.Create(CultureInfo.InvariantCulture, $"This gateway holds its limit of {settings.MaxConnections} connections; reconnect later.");
        }

        if (!_perAddress.TryOpen(address, settings.MaxConnectionsPerAddress))
        {
            Interlocked.Decrement(ref _admitted);
            return string.Create(CultureInfo.InvariantCulture, $"At most {settings.MaxConnectionsPerAddress} connections from one address; close another first.");
        }

        return null;
    }

    public void Release(string address)
    {
        _perAddress.Close(address);
        Interlocked.Decrement(ref _admitted);
    }

    public bool TryAdd(PusherConnection connection) => _open.TryAdd(connection.SocketId, connection);

    public void Remove(PusherConnection connection) => _open.TryRemove(new(connection.SocketId, connection));

    /// <summary>True when a socket of this gateway holds a confirmed subscription to the channel.</summary>
    public bool Holds(string socketId, string channel) => _open.TryGetValue(socketId, out var connection) && connection.IsSubscribed(channel);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var shortest = settings.ActivityTimeout < settings.PongTimeout ? settings.ActivityTimeout : settings.PongTimeout;
        using var timer = new PeriodicTimer(shortest / 4, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = time.GetUtcNow();
            foreach (var connection in _open.Values)
            {
                connection.CheckActivity(now);
            }
        }
    }
}
