using ReHome.Gateway.Demo;

namespace ReHome.Tests.Gateway;

public sealed class DevEndpointsTests
{
    [Theory]
    [InlineData(null, true)]
    [InlineData("http://localhost:8080", true)]
    [InlineData("http://127.0.0.1:0", true)]
    [InlineData("http://[::1]:8080;http://localhost:8081", true)]
    [InlineData("http://+:8080", false)]
    [InlineData("http://*:8080", false)]
    [InlineData("http://0.0.0.0:8080", false)]
    [InlineData("http://localhost:8080;http://10.1.2.3:8080", false)]
    public void Dev_endpoints_need_every_url_on_loopback(string? urls, bool allowed) =>
        Assert.Equal(allowed, DevEndpoints.ListensOnLoopbackOnly(urls));
}
