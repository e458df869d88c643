using Microsoft.Playwright;

namespace ReHome.Tests.Browser;

/// <summary>Waits for a JavaScript condition in a page, with a deadline and a message that says what was awaited.</summary>
public static class PageWait
{
    public static async Task For(IPage page, string condition, string what, TimeSpan? timeout = null)
    {
        try
        {
            await page.WaitForFunctionAsync($"() => {condition}", null, new() { Timeout = (float)(timeout ?? TimeSpan.FromSeconds(20)).TotalMilliseconds });
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"Timed out waiting until {what}: {condition}", ex);
        }
    }
}
