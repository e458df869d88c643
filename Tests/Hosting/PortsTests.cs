using System.Net;
using System.Net.Sockets;

namespace ReHome.Tests.Hosting;

/// <summary>The harness's port ranges (<see cref="Ports"/>), which the tests, the bench and the smoke command start servers on.</summary>
public sealed class PortsTests
{
    [Fact]
    public void A_range_hands_out_each_free_port_once_skips_ports_in_use_and_then_says_it_is_exhausted()
    {
        // 20000–20009: outside every range a harness uses, so nothing else in this run hands these out.
        const int from = 20000, to = 20009;
        var held = new List<TcpListener>();
        try
        {
            for (var port = from; port < from + 5; port++)
            {
                var listener = new TcpListener(IPAddress.Loopback, port);
                try
                {
                    listener.Start();
                    held.Add(listener);
                }
                catch (SocketException)
                {
                    // Something else on the machine has it: in use either way.
                }
            }

            var ports = new Ports(from, to);
            var handedOut = new List<int>();
            var exhausted = Assert.Throws<InvalidOperationException>(HandOutAll);

            Assert.Contains("20000–20009", exhausted.Message);
            Assert.InRange(handedOut.Count, 1, 5);
            Assert.Equal(handedOut.Count, handedOut.Distinct().Count());
            Assert.All(handedOut, port => Assert.InRange(port, from + 5, to));

            // More calls than the range has ports: a range that hands a port out twice fails here, not by hanging.
            void HandOutAll()
            {
                for (var call = 0; call <= to - from + 1; call++)
                {
                    handedOut.Add(ports.Next());
                }
            }
        }
        finally
        {
            held.ForEach(listener => listener.Stop());
        }
    }
}
