using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Configuration;
using ReHome.Gateway.Demo;
using ReHome.Silo;

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

    [Theory]
    [InlineData(new string[0], true)]
    [InlineData(new[] { "Urls=http://localhost:8080" }, true)]
    // Kestrel's own endpoints override Urls.
    [InlineData(new[] { "Urls=http://localhost:8080", "Kestrel:Endpoints:Http:Url=http://0.0.0.0:8080" }, false)]
    [InlineData(new[] { "Kestrel:Endpoints:Http:Url=http://127.0.0.1:8080" }, true)]
    [InlineData(new[] { "Kestrel:Endpoints:Http:Url=http://127.0.0.1:8080", "Kestrel:Endpoints:Other:Url=http://+:8081" }, false)]
    // The ports the .NET container images set (ASPNETCORE_HTTP_PORTS) bind every interface, unless Urls names hosts.
    [InlineData(new[] { "HTTP_PORTS=8080" }, false)]
    [InlineData(new[] { "HTTPS_PORTS=8443" }, false)]
    [InlineData(new[] { "HTTP_PORTS=8080", "Urls=http://localhost:8080" }, true)]
    [InlineData(new[] { "Metrics:Url=http://0.0.0.0:9090" }, false)]
    public void Dev_endpoints_need_every_listener_kestrel_would_bind_on_loopback(string[] settings, bool allowed)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => s.Split('=', 2)).ToDictionary(kv => kv[0], kv => (string?)kv[1]))
            .Build();

        Assert.Equal(allowed, DevEndpoints.ListensOnLoopbackOnly(configuration));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("10.1.2.3", false)]
    [InlineData("::ffff:10.1.2.3", false)]
    [InlineData(null, false)]
    public async Task A_caller_from_another_machine_finds_no_credential_free_endpoint(string? remote, bool reaches)
    {
        var http = new DefaultHttpContext();
        http.Connection.RemoteIpAddress = remote is null ? null : IPAddress.Parse(remote);
        var reached = false;

        var result = await LoopbackCallers.Only(EndpointFilterInvocationContext.Create(http), _ =>
        {
            reached = true;
            return ValueTask.FromResult<object?>("page");
        });

        Assert.Equal(reaches, reached);
        if (!reaches)
        {
            Assert.IsType<NotFound>(result);
        }
    }
}
