using System.Net;
using System.Net.Sockets;

namespace ReHome.Bench.Hosting;

/// <summary>
/// Free loopback ports for the processes the bench starts. The machine is shared, so ports come from a range the
/// bench owns (default 28000–28999, <c>--ports FROM-TO</c>), never a product default.
/// </summary>
internal sealed class Ports(int from, int to)
{
    private readonly HashSet<int> _handedOut = [];
    private int _next = from + Random.Shared.Next(to - from + 1);

    public int Next()
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
