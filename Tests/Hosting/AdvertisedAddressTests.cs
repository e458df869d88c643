using System.Net;
using System.Net.NetworkInformation;
using ReHome.Silo;

namespace ReHome.Tests.Hosting;

/// <summary>The address a silo gives the cluster (<c>Silo:AdvertisedIP</c>).</summary>
public sealed class AdvertisedAddressTests
{
    [Fact]
    public void Auto_skips_a_host_name_that_maps_to_loopback_and_takes_the_interfaces_address()
    {
        // Debian's and Ubuntu's /etc/hosts map the host name to 127.0.1.1; this machine's maps it to 127.0.0.1.
        var chosen = AdvertisedAddress.Choose(
            [IPAddress.Parse("127.0.1.1"), IPAddress.Parse("::1")],
            [IPAddress.Parse("fe80::1"), IPAddress.Parse("10.1.2.3"), IPAddress.Parse("10.9.9.9")]);

        Assert.Equal(IPAddress.Parse("10.1.2.3"), chosen);
    }

    [Fact]
    public void Auto_prefers_the_host_names_own_address_as_a_container_has_it()
    {
        var chosen = AdvertisedAddress.Choose([IPAddress.Parse("172.18.0.4")], [IPAddress.Parse("10.1.2.3")]);

        Assert.Equal(IPAddress.Parse("172.18.0.4"), chosen);
    }

    [Fact]
    public void Auto_with_only_loopback_addresses_fails_the_start_and_names_the_setting()
    {
        var failed = Assert.Throws<InvalidOperationException>(() =>
            AdvertisedAddress.Choose([IPAddress.Loopback], [IPAddress.IPv6Loopback]));

        Assert.Contains("Silo:AdvertisedIP", failed.Message);
    }

    [Fact]
    public void Auto_on_this_machine_is_an_address_of_one_of_its_network_interfaces_and_not_loopback()
    {
        var own = NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address)
            .ToHashSet();

        var chosen = AdvertisedAddress.Resolve(AdvertisedAddress.Auto);

        Assert.False(IPAddress.IsLoopback(chosen), $"auto chose {chosen}");
        Assert.Contains(chosen, own);
    }

    [Theory]
    [InlineData(null, "127.0.0.1")]
    [InlineData("", "127.0.0.1")]
    [InlineData("10.20.30.40", "10.20.30.40")]
    public void Unset_is_loopback_and_an_address_is_taken_as_given(string? configured, string expected) =>
        Assert.Equal(IPAddress.Parse(expected), AdvertisedAddress.Resolve(configured));

    [Fact]
    public void A_value_that_is_neither_an_address_nor_auto_fails_the_start_with_what_to_give()
    {
        var failed = Assert.Throws<InvalidOperationException>(() => AdvertisedAddress.Resolve("silo-1.internal"));

        Assert.Contains("'silo-1.internal'", failed.Message);
        Assert.Contains("auto", failed.Message);
    }
}
