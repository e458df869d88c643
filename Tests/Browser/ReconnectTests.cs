using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;
using ReHome.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReHome.Tests.Browser;

/// <summary>
/// How soon the page knows its connection is gone and comes back: a silent socket shows as reconnecting soon after
/// the server's keep-alive, and the network returning (or the tab being shown) reconnects at once instead of
/// waiting out the retry schedule.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ReconnectTests(GatewayFixture gateway, BrowserFixture browser, ITestOutputHelper output)
{
    [SkippableFact]
    public async Task The_keep_alive_settings_match_on_both_sides()
    {
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output);
        var hub = gateway.Services.GetRequiredService<IOptions<HubOptions>>().Value;

        var client = await demo.Page.EvaluateAsync<double[]>("""
            async () => {
              const client = await ReHome.sharedClient();
              return [client.serverKeepAliveMs, client.connection.serverTimeoutInMilliseconds, client.connection.keepAliveIntervalInMilliseconds];
            }
            """);

        // The server pings at the interval the client expects; the client waits three of them; the client's own
        // pings come at half the server's timeout, like every SignalR client's by default.
        Assert.Equal(hub.KeepAliveInterval!.Value.TotalMilliseconds, client[0]);
        Assert.Equal(3 * client[0], client[1]);
        Assert.Equal(hub.ClientTimeoutInterval!.Value.TotalMilliseconds / 2, client[2]);
        Assert.Equal([5000d, 15000d, 15000d], client);
    }

    [SkippableFact]
    public async Task A_socket_the_server_went_silent_on_shows_reconnecting_soon_after_the_keep_alive_not_after_the_timeout()
    {
        var silent = false;
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output, page => SilenceableHub(page, () => Volatile.Read(ref silent)));

        var quietSince = Stopwatch.StartNew();
        Volatile.Write(ref silent, true);
        await demo.WaitFor("document.getElementById('connection').dataset.state === 'reconnecting'", "the page stops saying live",
            TimeSpan.FromSeconds(12));

        output.WriteLine($"'reconnecting' shown {quietSince.Elapsed.TotalSeconds:0.0} s after the server went silent (keep-alive 5 s, server timeout 15 s).");
        Assert.True(quietSince.Elapsed < TimeSpan.FromSeconds(10), $"took {quietSince.Elapsed}");
        Volatile.Write(ref silent, false);
        await demo.WaitFor("document.getElementById('connection').dataset.state === 'connected'", "the page is live again", TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// A laptop waking up: the socket still looks open, the page has marked it silent, and the network comes back.
    /// The page drops that connection and opens a new one at once; started from inside SignalR's close callback, the
    /// new one lost its transport to the old one's stop and waited out the 15 s handshake timeout.
    /// </summary>
    [SkippableFact]
    public async Task A_silent_socket_is_replaced_at_once_when_the_network_returns()
    {
        var silent = false;
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output, page => SilenceableHub(page, () => Volatile.Read(ref silent)));
        Volatile.Write(ref silent, true);
        await demo.WaitFor("document.getElementById('connection').dataset.state === 'reconnecting'", "the page marks the socket silent",
            TimeSpan.FromSeconds(12));

        Volatile.Write(ref silent, false);
        var back = Stopwatch.StartNew();
        await demo.Page.EvaluateAsync("() => window.dispatchEvent(new Event('online'))");
        await demo.WaitFor("document.getElementById('connection').dataset.state === 'connected'", "the page is live again", TimeSpan.FromSeconds(30));

        output.WriteLine($"Live again {back.ElapsedMilliseconds} ms after the network returned.");
        Assert.True(back.Elapsed < TimeSpan.FromSeconds(5), $"live again after {back.Elapsed}");
    }

    [SkippableFact]
    public async Task When_the_network_returns_the_page_reconnects_and_catches_up_at_once_not_on_its_retry_schedule()
    {
        // The client connects with one WebSocket (no negotiate), so the "network" is this route: while offline it
        // refuses every socket the page opens, counting the attempts.
        var offline = false;
        var refused = 0;
        IWebSocketRoute? pageSide = null;
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output, page =>
            page.RouteWebSocketAsync(new Regex("/hubs/agent"), ws =>
            {
                if (Volatile.Read(ref offline))
                {
                    Interlocked.Increment(ref refused);
                    _ = ws.CloseAsync(new() { Code = 4000, Reason = "offline (test)" });
                    return;
                }

                pageSide = ws;
                ws.ConnectToServer();
            }));
        var tokens = Enumerable.Range(1, 40).Select(i => $"t{i} ").ToArray();
        var streamId = await gateway.Producer.StartStreamAsync(await demo.ThreadId(), "run-" + Guid.NewGuid().ToString("N"));
        foreach (var token in tokens[..20])
        {
            await gateway.Producer.StreamTokenAsync(streamId, token);
        }

        await demo.AssertTextBecomes(string.Concat(tokens[..20]));

        try
        {
            // The network goes: the browser is offline (so it fires 'online' when it returns) and the open socket dies.
            Volatile.Write(ref offline, true);
            await demo.Page.Context.SetOfflineAsync(true);
            await pageSide!.CloseAsync(new() { Code = 4000, Reason = "network lost (test)" });
            await demo.WaitFor("document.getElementById('connection').dataset.state === 'reconnecting'", "the page notices");
            foreach (var token in tokens[20..])
            {
                await gateway.Producer.StreamTokenAsync(streamId, token);
            }

            await gateway.Producer.EndStreamAsync(streamId);

            // Attempts after 0, 0.5, 1, 2 and 5 s fail; the next one is scheduled 10 s after the fifth failure.
            await Eventually.True(() => Task.FromResult(Volatile.Read(ref refused) >= 5), TimeSpan.FromSeconds(20), "five reconnect attempts failed");
        }
        finally
        {
            Volatile.Write(ref offline, false);
            await demo.Page.Context.SetOfflineAsync(false);
        }

        var back = Stopwatch.StartNew();
        await demo.AssertTextBecomes(string.Concat(tokens), TimeSpan.FromSeconds(10));
        output.WriteLine($"Caught up {back.ElapsedMilliseconds} ms after the network returned ({refused} refused attempts before).");
        Assert.True(back.Elapsed < TimeSpan.FromSeconds(7), $"caught up after {back.Elapsed}; the schedule alone would wait up to 10 s");
        Assert.Equal(Enumerable.Range(1, tokens.Length).Select(i => (long)i), await demo.TokenSequences());
    }

    [SkippableFact]
    public async Task A_tab_shown_again_reconnects_at_once_not_on_its_retry_schedule()
    {
        var online = true;
        var refused = 0;
        IWebSocketRoute? pageSide = null;
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output, page =>
            page.RouteWebSocketAsync(new Regex("/hubs/agent"), ws =>
            {
                if (!Volatile.Read(ref online))
                {
                    Interlocked.Increment(ref refused);
                    _ = ws.CloseAsync(new() { Code = 4000, Reason = "offline (test)" });
                    return;
                }

                pageSide = ws;
                ws.ConnectToServer();
            }));

        Volatile.Write(ref online, false);
        await pageSide!.CloseAsync(new() { Code = 4000, Reason = "network lost (test)" });
        await Eventually.True(() => Task.FromResult(Volatile.Read(ref refused) >= 5), TimeSpan.FromSeconds(20), "five reconnect attempts failed");
        Volatile.Write(ref online, true);

        // Headless Chromium has no real hidden tab: the page is told it was hidden and is visible again.
        var shown = Stopwatch.StartNew();
        await demo.Page.EvaluateAsync("""
            () => {
              Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
              document.dispatchEvent(new Event('visibilitychange'));
            }
            """);
        await demo.WaitFor("document.getElementById('connection').dataset.state === 'connected'", "the page reconnects", TimeSpan.FromSeconds(10));

        output.WriteLine($"Reconnected {shown.ElapsedMilliseconds} ms after the tab was shown.");
        Assert.True(shown.Elapsed < TimeSpan.FromSeconds(7), $"reconnected after {shown.Elapsed}; the schedule alone would wait up to 10 s");
    }

    /// <summary>The page's hub sockets, through a route that drops what the server sends while <paramref name="silent"/> says so (the page's own pings still go out).</summary>
    private static Task SilenceableHub(IPage page, Func<bool> silent) =>
        page.RouteWebSocketAsync(new Regex("/hubs/agent"), ws =>
        {
            var server = ws.ConnectToServer();
            server.OnMessage(frame =>
            {
                if (!silent())
                {
                    ws.Send(frame.Text!); // the JSON protocol sends text frames
                }
            });
        });
}
