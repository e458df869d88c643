using Microsoft.Extensions.DependencyInjection;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Pusher;

/// <summary>
/// The embedded gateway with a Pusher app configured, and the stand-in Laravel app that authorizes its channels.
/// Heartbeats are short so the tests can watch the gateway ping a silent client and close one that stays silent.
/// </summary>
public sealed class PusherGatewayFixture : GatewayFixture
{
    public const string AppKey = "test-app-key";
    public const string AppSecret = "test-app-secret-0123456789";
    public static readonly TimeSpan ActivityTimeout = TimeSpan.FromSeconds(3);

    public LaravelStandIn App { get; private set; } = null!;

    /// <summary>Where a quick start's page is saved; the gateway serves it as if it were in its wwwroot.</summary>
    public string PagesFolder { get; } = Directory.CreateTempSubdirectory("rehome-pages-").FullName;

    protected override string? AddedPages => PagesFolder;

    protected override Dictionary<string, string?> Settings => new()
    {
        ["Pusher:AppKey"] = AppKey,
        ["Pusher:AppSecret"] = AppSecret,
        ["Pusher:ActivityTimeout"] = ActivityTimeout.ToString(),
        ["Pusher:PongTimeout"] = "00:00:04",
        ["Pusher:MaxChannelsPerConnection"] = "3",
        ["Pusher:MessagesPerSecond"] = "5",
        ["Pusher:MessageBurst"] = "20",
        ["Pusher:OutboundQueueLimit"] = "2000",
    };

    private const string ClientQuery = "?protocol=7&client=js&version=8.6.0";

    private readonly FailingThreadListing _listing = new();

    /// <summary>
    /// The next first subscription to this thread on this gateway fails as a call the cluster did not answer: the
    /// silo throws a <see cref="TimeoutException"/> for the thread grain's <c>GetStreams</c>, once.
    /// </summary>
    public void FailNextSubscription(string threadId) => _listing.FailNext(threadId);

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<IIncomingGrainCallFilter>(_listing);

    public Uri WebSocketUri(string key = AppKey, string query = ClientQuery) => WebSocketUriAt(BaseAddress, key, query);

    /// <summary>The app's WebSocket address on the gateway at <paramref name="baseAddress"/>, as pusher-js asks for it.</summary>
    public static Uri WebSocketUriAt(Uri baseAddress, string key = AppKey, string query = ClientQuery) =>
        new($"ws://{baseAddress.Authority}/app/{key}{query}");

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        App = await LaravelStandIn.Start(AppKey, AppSecret);
    }

    public override async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        await base.DisposeAsync();
        await TempDirectory.Delete(PagesFolder);
    }
}

/// <summary>The Pusher tests share one gateway, one stand-in Laravel app and one browser.</summary>
[CollectionDefinition(Name)]
public sealed class PusherCollection : ICollectionFixture<PusherGatewayFixture>, ICollectionFixture<Browser.BrowserFixture>
{
    public const string Name = "pusher";
}
