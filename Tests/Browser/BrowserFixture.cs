using Microsoft.Playwright;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Browser;

/// <summary>
/// Debian's Chromium, headless, driven by Playwright with a fresh profile; shared by the browser tests. Playwright's
/// node driver ships inside its NuGet package and no browser is ever downloaded. Without the browser the tests skip,
/// except under <c>CI=true</c>, where that fails.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>Debian's <c>/usr/bin/chromium</c>, or another Chromium named by <c>REHOME_CHROMIUM</c>.</summary>
    public static readonly string ChromiumPath = Environment.GetEnvironmentVariable("REHOME_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    private static readonly string[] Flags =
    [
        "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run",
    ];

    private IPlaywright? _playwright;
    private IBrowserContext? _context;
    private string? _profile;

    /// <summary>Why the browser tests cannot run here, or null.</summary>
    public string? Missing { get; private set; }

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            Missing = $"{ChromiumPath} is not installed (apt-get install chromium); the browser tests need it.";
            if (RedisServer.IsCi)
            {
                throw new InvalidOperationException("CI=true but " + Missing);
            }

            return;
        }

        _playwright = await Playwright.CreateAsync();
        _profile = Directory.CreateTempSubdirectory("rehome-chromium-").FullName;
        _context = await _playwright.Chromium.LaunchPersistentContextAsync(_profile, new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = Flags,
            ViewportSize = new() { Width = 800, Height = 700 },
        });
    }

    /// <summary>A new tab; skips the test when there is no browser (never under CI).</summary>
    public async Task<IPage> NewPage()
    {
        Skip.If(Missing is not null, Missing);
        return await _context!.NewPageAsync();
    }

    public async Task DisposeAsync()
    {
        if (_context is not null)
        {
            try
            {
                await _context.CloseAsync();
            }
            catch (PlaywrightException ex) when (ex.GetType().Name == "TargetClosedException")
            {
                // Chromium is already gone (it can exit first as the run winds down): nothing is left to close.
                // Playwright keeps that exception type internal, so it is matched by name.
            }
        }

        _playwright?.Dispose();
        if (_profile is not null)
        {
            await TempDirectory.Delete(_profile);
        }
    }
}

/// <summary>The browser tests share one gateway and one browser.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<GatewayFixture>, ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
