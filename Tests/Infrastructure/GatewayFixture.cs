using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Http.Features;
using ReHome.Gateway;
using ReHome.Gateway.Auth;
using ReHome.Producer;

namespace ReHome.Tests.Infrastructure;

/// <summary>
/// The real gateway in its embedded mode (with its in-process silo), on real Kestrel on a free loopback port,
/// with free silo ports. Tests reach it as browsers and backends would: SignalR clients and HTTP.
/// </summary>
public class GatewayFixture : IAsyncLifetime
{
    public const string ServiceKey = "test-service-key-0123456789";
    public const string SigningKey = "test-signing-key-that-is-at-least-32-bytes-long";
    private WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;

    public IServiceProvider Services => _app!.Services;

    public IGrainFactory Grains => Services.GetRequiredService<IGrainFactory>();

    public IStreamProducer Producer => Services.GetRequiredService<IStreamProducer>();

    /// <summary>Extra settings for subclasses (for example short check intervals).</summary>
    protected virtual Dictionary<string, string?> Settings => [];

    /// <summary>Extra services for subclasses (for example an in-memory trace exporter).</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    /// <summary>A folder the gateway serves besides its own wwwroot: pages a reader adds, as a quick start tells them to.</summary>
    protected virtual string? AddedPages => null;

    public virtual async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Silo:Port"] = RedisServer.FreePort().ToString(),
            ["Silo:GatewayPort"] = RedisServer.FreePort().ToString(),
            ["Auth:SigningKey"] = SigningKey,
            ["Auth:ServiceKeys:0"] = ServiceKey,
        };
        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }

        _app = GatewayApp.Create([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            ConfigureServices(builder.Services);
            if (AddedPages is { } pages)
            {
                builder.Environment.WebRootFileProvider = new CompositeFileProvider(
                    new PhysicalFileProvider(pages), builder.Environment.WebRootFileProvider);
            }
        }, new WebApplicationOptions
        {
            ApplicationName = typeof(GatewayApp).Assembly.GetName().Name,
            WebRootPath = Path.Combine(SolutionDirectory(), "Gateway", "wwwroot"),
            EnvironmentName = Environments.Production,
        });
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        BaseAddress = new Uri(address);
    }

    public virtual async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    public string TokenFor(string userId, TimeSpan? lifetime = null) =>
        Services.GetRequiredService<TokenIssuer>().Issue(userId, lifetime ?? TimeSpan.FromHours(1));

    public HttpClient ServiceClient()
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Add(ServiceKeyOptions.Header, ServiceKey);
        return client;
    }

    /// <summary>A SignalR connection as a browser would open it: WebSockets, token in the query string.</summary>
    public HubConnection Connection(string? userId, Action<IHubConnectionBuilder>? configure = null)
    {
        var builder = new HubConnectionBuilder().WithUrl(new Uri(BaseAddress, HubContract.Path), o =>
        {
            o.Transports = HttpTransportType.WebSockets;
            o.SkipNegotiation = false;
            if (userId is not null)
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(TokenFor(userId));
            }
        });
        configure?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>A configured thread with a fresh id.</summary>
    public async Task<string> NewThread(string owner, params string[] members)
    {
        var threadId = "t-" + Guid.NewGuid().ToString("N");
        await Grains.GetGrain<IThreadGrain>(threadId).Configure(new ThreadAccess(null, null, owner, members));
        return threadId;
    }

    public static string SolutionDirectory()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ReHome.Orleans.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("ReHome.Orleans.sln not found above the test output.");
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}
