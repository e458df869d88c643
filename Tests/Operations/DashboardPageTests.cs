using ReHome.Tests.Browser;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Operations;

/// <summary>The Orleans dashboard of the embedded gateway, as an operator opens it in Chromium.</summary>
[Collection(BrowserCollection.Name)]
public sealed class DashboardPageTests(GatewayFixture gateway, BrowserFixture browser)
{
    [SkippableFact]
    public async Task The_embedded_dashboard_opens_without_a_credential_and_lists_the_stream_grain_type()
    {
        var page = await browser.NewPage();
        try
        {
            // A live stream, so the cluster has a stream grain activation to show.
            var threadId = await gateway.NewThread("dashboard-viewer");
            var streamId = await gateway.Producer.StartStreamAsync(threadId, "r-" + Guid.NewGuid().ToString("N"));
            await gateway.Producer.StreamTokenAsync(streamId, "hello");

            var response = await page.GotoAsync(new Uri(gateway.BaseAddress, "/dashboard/#/grains").ToString());
            Assert.Equal(200, response!.Status);

            // The page polls the silos every second; the grain table names each grain class.
            await page.WaitForFunctionAsync("() => document.body.innerText.includes('StreamGrain')", null, new() { Timeout = 30_000 });
            var text = await page.InnerTextAsync("body");
            Assert.Contains("ThreadGrain", text);
            await gateway.Producer.EndStreamAsync(streamId);
        }
        finally
        {
            await page.CloseAsync();
        }
    }
}
