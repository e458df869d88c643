using System.Net;
using System.Net.Sockets;

namespace ReHome.Tooling;

/// <summary>
/// Free loopback ports for the processes a harness starts, from a range it owns. The range must lie below the
/// kernel's ephemeral range (32768–60999 on Linux): a port found free there (bind to port 0) can be taken by any
/// outgoing connection on the machine before the child process binds it, and the child then fails to start. Ports are
/// never handed out twice, so two harness threads cannot be given the same one.
/// </summary>
public sealed class Ports(int from, int to)
{
    private readonly Lock _lock = new();
    private readonly HashSet<int> _handedOut = [];
    private int _next = from + Random.Shared.Next(to - from + 1);

    public int Next()
    {
        lock (_lock)
        {
            for (var tries = 0; tries <= to - from; tries++)
            {
                var port = _next;
                _next = _next >= to ? from : _next + 1;
                if (_handedOut.Add(port) && IsFree(port))
                {
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"No free port left in {from}–{to}.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
