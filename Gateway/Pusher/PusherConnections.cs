using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace ReHome.Gateway.Pusher;

/// <summary>
/// The open Pusher connections of this gateway, by socket id: the token page asks whether a socket holds a
/// channel, and a sweep pings silent clients and closes those that stay silent.
/// </summary>
internal sealed class PusherConnections(IOptions<PusherOptions> options, TimeProvider time) : BackgroundService
{
    private readonly ConcurrentDictionary<string, PusherConnection> _open = new();

    public int Count => _open.Count;

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
