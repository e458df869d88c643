using Microsoft.AspNetCore.SignalR;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

/// <summary>Refused hub calls on unknown ids leave nothing behind in the gateway's cluster (here its embedded silo).</summary>
[Collection(GatewayCollection.Name)]
public sealed class RefusedCallStateTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Refused_joins_and_fetches_of_unknown_ids_leave_no_activations_behind()
    {
        var prefix = "probe-" + Guid.NewGuid().ToString("N")[..12];
        await using var mallory = await Viewer.Connect(gateway, "mallory");

        for (var i = 0; i < 40; i++)
        {
            Assert.StartsWith("forbidden", Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(() => mallory.Join($"{prefix}-t{i}"))));
            Assert.StartsWith("stream_not_found", Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(() => mallory.GetTokens($"{prefix}-s{i}", 0))));
        }

        Assert.True(await Activations.WithKeyPrefix(gateway.Grains, prefix) > 0, "The probes should have activated grains at first.");
        await Eventually.True(async () => await Activations.WithKeyPrefix(gateway.Grains, prefix) == 0, TimeSpan.FromSeconds(30),
            "the activations of ids nobody configured are gone");
    }
}
