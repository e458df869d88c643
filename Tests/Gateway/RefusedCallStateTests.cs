using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

/// <summary>Refused hub calls on unknown ids leave nothing behind in the gateway's cluster (here its embedded silo).</summary>
[Collection(GatewayCollection.Name)]
public sealed class RefusedCallStateTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Refused_joins_fetches_stops_and_presence_asks_on_unknown_ids_leave_no_activations_behind()
    {
        var prefix = "probe-" + Guid.NewGuid().ToString("N")[..12];
        await using var mallory = await Viewer.Connect(gateway, "mallory");

        for (var i = 0; i < 20; i++)
        {
            Assert.StartsWith("forbidden", Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(() => mallory.Join($"{prefix}-t{i}"))));
            Assert.StartsWith("stream_not_found", Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(() => mallory.GetTokens($"{prefix}-s{i}", 0))));
            Assert.StartsWith("stream_not_found", Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(
                () => mallory.Connection.InvokeAsync<CancelStreamResult>(HubContract.CancelStream, $"{prefix}-c{i}", "probe"))));
            Assert.StartsWith("forbidden", Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(
                () => mallory.Connection.InvokeAsync<PresenceMessage>(HubContract.GetPresence, $"{prefix}-p{i}"))));
        }

        Assert.True(await Activations.WithKeyPrefix(gateway.Grains, prefix) > 0, "The probes should have activated grains at first.");
        await Eventually.True(async () => await Activations.WithKeyPrefix(gateway.Grains, prefix) == 0, TimeSpan.FromSeconds(30),
            "the activations of ids nobody configured are gone");
    }
}
