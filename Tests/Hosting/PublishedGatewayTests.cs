using System.Diagnostics;
using System.Net;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Hosting;

/// <summary>
/// The gateway as the Dockerfiles ship it: <c>dotnet publish</c> output, run as Production from a folder that is neither
/// the project's nor the app's own, serves the demo page, the browser client's modules and the SignalR bundle.
/// </summary>
public sealed class PublishedGatewayTests(PublishedGatewayTests.PublishedGateway gateway) : IClassFixture<PublishedGatewayTests.PublishedGateway>
{
    [Fact]
    public async Task Serves_every_file_of_wwwroot_as_built_including_the_page_at_the_root()
    {
        using var http = new HttpClient { BaseAddress = gateway.Url };
        var wwwroot = Path.Combine(GatewayFixture.SolutionDirectory(), "Gateway", "wwwroot");
        var files = Directory.GetFiles(wwwroot, "*", SearchOption.AllDirectories);
        Assert.Contains(Path.Combine(wwwroot, "js", "rehome.js"), files);
        Assert.Contains(Path.Combine(wwwroot, "lib", "signalr", "signalr.min.js"), files);

        foreach (var file in files)
        {
            var path = "/" + Path.GetRelativePath(wwwroot, file).Replace(Path.DirectorySeparatorChar, '/');
            using var response = await http.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode}");
            Assert.Equal(await File.ReadAllBytesAsync(file), await response.Content.ReadAsByteArrayAsync());
        }

        using var page = await http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(wwwroot, "index.html")), await page.Content.ReadAsStringAsync());
    }

    /// <summary>Publishes the built gateway once (no rebuild: the test run has just built it) and starts it from elsewhere.</summary>
    public sealed class PublishedGateway : IAsyncLifetime
    {
        private readonly string _directory = Path.Combine(Path.GetTempPath(), "rehome-published-" + Guid.NewGuid().ToString("N")[..8]);
        private ChildProcess? _process;

        public Uri Url { get; } = new($"http://127.0.0.1:{TestPorts.Next()}");

        public async Task InitializeAsync()
        {
            var output = Path.Combine(_directory, "app");
            var elsewhere = Directory.CreateDirectory(Path.Combine(_directory, "elsewhere")).FullName;
            var project = Path.Combine(GatewayFixture.SolutionDirectory(), "Gateway", "ReHome.Gateway.csproj");
            // The tests run from Tests/bin/<Configuration>/<tfm>/: publish what that configuration built.
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
            await Run(ChildProcess.DotnetHost, "publish", project, "-c", configuration, "--no-build", "--disable-build-servers", "-o", output, "-nologo", "-v", "quiet");

            _process = ChildProcess.Dotnet("published-gateway", Path.Combine(output, "ReHome.Gateway.dll"), new Dictionary<string, string>
            {
                ["Urls"] = Url.ToString(),
                ["Silo__Port"] = TestPorts.Next().ToString(),
                ["Silo__GatewayPort"] = TestPorts.Next().ToString(),
                ["Auth__ServiceKeys__0"] = "published-gateway-test-key",
            }, _directory, httpBase: Url.ToString(), workingDirectory: elsewhere);
            _process.Start();
            await _process.WaitHealthy("/health/ready");
        }

        private static async Task Run(string fileName, params string[] arguments)
        {
            var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
            Assert.True(process.ExitCode == 0, $"{fileName} {string.Join(' ', arguments)} failed:{Environment.NewLine}{await stdout}{await stderr}");
        }

        public async Task DisposeAsync()
        {
            if (_process is not null)
            {
                await _process.DisposeAsync();
            }

            Directory.Delete(_directory, recursive: true);
        }
    }
}
