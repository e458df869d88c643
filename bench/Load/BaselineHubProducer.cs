using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace ReHome.Bench.Load;

/// <summary>
/// The baseline's counterpart of the producer SDK: a few persistent SignalR connections to the baseline server's
/// producer hub, one call per token. Each stream keeps to one connection, whose calls the server runs in order.
/// </summary>
internal sealed class BaselineHubProducer : IProducerDriver
{
    private readonly HubConnection[] _connections;

    private BaselineHubProducer(HubConnection[] connections) => _connections = connections;

    public static async Task<BaselineHubProducer> Connect(string baseAddress, string serviceToken, int connections)
    {
        var all = new HubConnection[connections];
        for (var i = 0; i < all.Length; i++)
        {
            all[i] = new HubConnectionBuilder()
                .WithUrl(baseAddress + "/hubs/producer", o =>
                {
                    o.AccessTokenProvider = () => Task.FromResult<string?>(serviceToken);
                    o.Transports = HttpTransportType.WebSockets;
                    o.SkipNegotiation = true;
                })
                .Build();
            await all[i].StartAsync();
        }

        return new BaselineHubProducer(all);
    }

    public Task ConfigureThread(string threadId, string ownerUserId, string[] memberUserIds) =>
        _connections[0].InvokeAsync("Configure", threadId, ownerUserId, memberUserIds);

    public Task StartStream(string threadId, string runId, string streamId) =>
        For(streamId).InvokeAsync("Start", threadId, runId, streamId);

    public Task<long> Send(string streamId, string token) => For(streamId).InvokeAsync<long>("Append", streamId, token);

    public Task End(string streamId, long lastSequence) => For(streamId).InvokeAsync<bool>("End", streamId, lastSequence);

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }

    private HubConnection For(string streamId) => _connections[(int)((uint)streamId.GetHashCode() % (uint)_connections.Length)];
}
