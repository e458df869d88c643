using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Http.Features;
using ReHome.Gateway;
using ReHome.Gateway.Auth;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenTelemetry.Metrics;
using Orleans.Streams.Core;
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

    /// <summary>More setup for subclasses, after the settings (for example Kestrel's sockets).</summary>
    protected virtual void Configure(WebApplicationBuilder builder)
    {
    }

    /// <summary>
    /// Accepted sockets keep only a 16 KB send buffer (they take the listening socket's, and Linux then stops growing
    /// it), so a client that stops reading backs up within a few hundred kilobytes.
    /// </summary>
    protected static void UseSmallSendBuffers(WebApplicationBuilder builder) =>
        builder.WebHost.UseSockets(o => o.CreateBoundListenSocket = endpoint =>
        {
            var socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
            socket.SendBufferSize = 16 * 1024;
            return socket;
        });

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
            ["Silo:Port"] = TestPorts.Next().ToString(),
            ["Silo:GatewayPort"] = TestPorts.Next().ToString(),
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
            // Every host this test process starts publishes its own Orleans and ASP.NET Core instruments to this
            // gateway's provider too, and a provider never reuses the slot of one that went away: with the default
            // 1,000 slots, instruments created late in a long run (a relay's first counters) would not show.
            builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.SetMaxMetricStreams(100_000));
            Configure(builder);
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
        // The main address, not the metrics port a subclass may add.
        var metricsUrl = settings.GetValueOrDefault("Metrics:Url");
        var address = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses
            .First(a => metricsUrl is null || new Uri(a).Port != new Uri(metricsUrl).Port);
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

    /// <summary>A token signed with the gateway's key, with any subject (or none) and any validity window.</summary>
    public static string SignedToken(string? subject, DateTime notBefore, DateTime expires)
    {
        var claims = subject is null ? [] : new[] { new Claim("sub", subject) };
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity(claims),
            Issuer = "rehome",
            Audience = "rehome-gateway",
            IssuedAt = notBefore,
            NotBefore = notBefore,
            Expires = expires,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(SigningKey)), SecurityAlgorithms.HmacSha256),
        });
    }

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

    /// <summary>A WebSocket connection that authenticates with whatever <paramref name="token"/> returns (another issuer, a short life).</summary>
    public HubConnection ConnectionWithToken(Func<string> token, Action<IHubConnectionBuilder>? configure = null) =>
        Connection(null, builder =>
        {
            builder.WithUrl(new Uri(BaseAddress, HubContract.Path), o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.AccessTokenProvider = () => Task.FromResult<string?>(token());
            });
            configure?.Invoke(builder);
        });

    /// <summary>The gateways a thread's feed is delivered to (this gateway counts once, whatever its viewers).</summary>
    public Task<int> SubscriptionCount(string threadId) => ThreadFeeds.SubscriberCount(Services.GetRequiredService<IClusterClient>(), threadId);

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
