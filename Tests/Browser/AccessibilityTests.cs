using System.Text.Json;
using ReHome.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReHome.Tests.Browser;

/// <summary>
/// The demo page and its answer element checked by axe-core (from npm, installed by the gateway's build) in Chromium,
/// in the states a reader meets: waiting, streaming markdown with the stop button, and stopped; plus the element's
/// own roles and theming through CSS custom properties.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AccessibilityTests(GatewayFixture gateway, BrowserFixture browser, ITestOutputHelper output)
{
    private static readonly string AxeScript = Path.Combine(GatewayFixture.SolutionDirectory(), "Gateway", "node_modules", "axe-core", "axe.min.js");

    [SkippableFact]
    public async Task Axe_finds_no_violation_on_the_demo_page_waiting_streaming_and_stopped()
    {
        Assert.True(File.Exists(AxeScript), $"{AxeScript} is missing: the gateway's build installs axe-core with npm ci.");
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output, renderer: "markdown");
        await demo.Page.AddScriptTagAsync(new() { Path = AxeScript });
        await AssertNoViolations(demo, "waiting");

        var streamId = await gateway.Producer.StartStreamAsync(await demo.ThreadId(), "run-" + Guid.NewGuid().ToString("N"));
        foreach (var token in new[] { "## A heading\n\n", "Some **bold** text and a [link](https://example.org).\n\n", "| a | b |\n|---|---|\n| 1 | 2 |\n\n", "```\ncode\n```\n\n", "- item\n" })
        {
            await gateway.Producer.StreamTokenAsync(streamId, token);
        }

        await demo.WaitFor("document.getElementById('answer').shadowRoot.querySelector('li') !== null", "the list is painted");
        await demo.WaitFor("document.getElementById('presence').dataset.count === '1'", "presence is shown");
        await AssertNoViolations(demo, "streaming");

        await demo.Page.ClickAsync("#answer >> [part~=stop]");
        await demo.WaitFor("document.getElementById('answer').getAttribute('state') === 'done'", "the answer is stopped");
        await AssertNoViolations(demo, "stopped");
    }

    [SkippableFact]
    public async Task The_answer_is_a_polite_log_in_a_focusable_scroll_box_that_exposes_busy_and_takes_its_theme_from_custom_properties()
    {
        await using var demo = await DemoPage.Open(browser, gateway.BaseAddress, output);
        var streamId = await gateway.Producer.StartStreamAsync(await demo.ThreadId(), "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "Streaming…");
        await demo.AssertTextBecomes("Streaming…");

        var streaming = await Describe(demo);
        Assert.Equal("log|polite|0|true|region", streaming.GetProperty("roles").GetString());
        // What a screen reader reads: the live region itself must be busy, or each painted frame may be announced.
        Assert.Equal("true", await LogBusy(demo));
        await demo.Page.Keyboard.PressAsync("Tab");
        await demo.Page.Keyboard.PressAsync("Tab");
        await demo.WaitFor("document.activeElement === document.getElementById('answer')", "the keyboard reaches the answer");

        await demo.Page.EvalOnSelectorAsync("#answer", """
            e => {
              e.style.setProperty('--rehome-color', 'rgb(1, 2, 3)');
              e.style.setProperty('--rehome-background', 'rgb(4, 5, 6)');
              e.style.setProperty('--rehome-font-family', 'monospace');
              e.style.setProperty('--rehome-padding', '7px');
              e.style.setProperty('--rehome-notice-color', 'rgb(7, 8, 9)');
            }
            """);
        var themed = await Describe(demo);
        Assert.Equal("rgb(1, 2, 3)|rgb(4, 5, 6)|monospace|7px|rgb(7, 8, 9)", themed.GetProperty("theme").GetString());

        await gateway.Producer.EndStreamAsync(streamId);
        await demo.WaitFor("document.getElementById('answer').getAttribute('aria-busy') === 'false'", "busy ends with the answer");
        Assert.Equal("false", await LogBusy(demo));
    }

    /// <summary>The <c>busy</c> state of the answer's log in Chromium's accessibility tree, as assistive technology gets it.</summary>
    private static async Task<string> LogBusy(DemoPage demo)
    {
        var session = await demo.Page.Context.NewCDPSessionAsync(demo.Page);
        var tree = await session.SendAsync("Accessibility.getFullAXTree");
        var logs = tree!.Value.GetProperty("nodes").EnumerateArray()
            .Where(n => n.TryGetProperty("role", out var role) && role.GetProperty("value").GetString() == "log")
            .ToArray();
        var log = Assert.Single(logs);
        var busy = log.TryGetProperty("properties", out var properties)
            ? properties.EnumerateArray().FirstOrDefault(p => p.GetProperty("name").GetString() == "busy")
            : default;
        if (busy.ValueKind == JsonValueKind.Undefined)
        {
            return "false";
        }

        // Chromium sends this boolean as 1 or 0.
        var value = busy.GetProperty("value").GetProperty("value");
        return value.ValueKind == JsonValueKind.True || (value.ValueKind == JsonValueKind.Number && value.GetInt32() != 0) ? "true" : "false";
    }

    private async Task AssertNoViolations(DemoPage demo, string when)
    {
        var violations = await demo.Page.EvaluateAsync<JsonElement>("""
            async () => (await axe.run(document, { resultTypes: ['violations'] })).violations
              .map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary) }))
            """);
        output.WriteLine($"axe, {when}: {violations}");
        Assert.True(violations.GetArrayLength() == 0, $"axe found violations while {when}: {violations}");
    }

    private static Task<JsonElement> Describe(DemoPage demo) => demo.Page.EvalOnSelectorAsync<JsonElement>("#answer", """
        e => {
          const log = e.shadowRoot.querySelector('[part~=text]');
          const notice = e.shadowRoot.querySelector('[part~=notice]');
          const style = getComputedStyle(e);
          return {
            roles: [log.getAttribute('role'), log.getAttribute('aria-live'), e.getAttribute('tabindex'), e.getAttribute('aria-busy'), e.getAttribute('role')].join('|'),
            theme: [style.color, style.backgroundColor, style.fontFamily, style.paddingTop, getComputedStyle(notice).color].join('|'),
          };
        }
        """);
}
