namespace ReHome.Tests.Pusher;

/// <summary>A gateway that stops tells its Pusher clients to reconnect at once, so pusher-js moves to another gateway.</summary>
public sealed class GatewayStopTests
{
    [Fact]
    public async Task Stopping_the_gateway_closes_its_pusher_connections_with_4200()
    {
        var gateway = new PusherGatewayFixture();
        Task? stopping = null;
        try
        {
            await gateway.InitializeAsync();
            var (socket, _) = await RawPusherSocket.Open(gateway);
            await using var _ = socket;

            stopping = gateway.DisposeAsync();

            Assert.Equal(4200, await socket.WaitForClose());
            await stopping;
        }
        finally
        {
            await (stopping ?? gateway.DisposeAsync());
        }
    }
}
