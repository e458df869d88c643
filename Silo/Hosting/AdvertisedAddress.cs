using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace ReHome.Silo;

/// <summary>The address a silo gives the cluster for reaching it (<see cref="SiloSettings.AdvertisedIP"/>).</summary>
public static class AdvertisedAddress
{
    /// <summary>The setting's value that asks for this machine's own address.</summary>
    public const string Auto = "auto";

    /// <summary>Loopback when unset; this machine's own address for <see cref="Auto"/>; otherwise the address given.</summary>
    public static IPAddress Resolve(string? configured)
    {
        if (string.IsNullOrEmpty(configured))
        {
            return IPAddress.Loopback;
        }

        if (configured == Auto)
        {
            return Choose(HostNameAddresses(), InterfaceAddresses());
        }

        return IPAddress.TryParse(configured, out var address)
            ? address
            : throw new InvalidOperationException($"Silo:AdvertisedIP is '{configured}': give an IP address, or '{Auto}' for this machine's own.");
    }

    /// <summary>
    /// The first IPv4 address that another machine could reach: the host name's first, else the network interfaces'.
    /// A container's host name maps to its own address, but many hosts map theirs to loopback in /etc/hosts (Debian
    /// and Ubuntu to 127.0.1.1), which would have every other silo and gateway call themselves.
    /// </summary>
    public static IPAddress Choose(IEnumerable<IPAddress> hostNameAddresses, IEnumerable<IPAddress> interfaceAddresses) =>
        hostNameAddresses.Concat(interfaceAddresses).FirstOrDefault(IsReachableFromElsewhere)
        ?? throw new InvalidOperationException(
            $"Silo:AdvertisedIP is '{Auto}', but neither the host name nor a network interface has an IPv4 address other than loopback. " +
            "Set Silo:AdvertisedIP to the address other silos reach this one at.");

    private static bool IsReachableFromElsewhere(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(address);

    private static IPAddress[] HostNameAddresses()
    {
        try
        {
            return Dns.GetHostAddresses(Dns.GetHostName());
        }
        catch (SocketException)
        {
            // A host name that does not resolve: the interfaces decide.
            return [];
        }
    }

    // Enumerated only when the host name gave nothing usable (Concat is lazy).
    private static IEnumerable<IPAddress> InterfaceAddresses() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address);
}
