using System.Diagnostics;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace ReHome.Bench.Load;

/// <summary>
/// One browser-like viewer: a SignalR WebSocket connection authenticated with a JWT as <c>access_token</c>
/// (after negotiate, as the browser client does), joined to one thread, checking every token it receives.
/// </summary>
internal sealed class Viewer : IBenchViewer
{
    private readonly HubConnection _connection;
    private readonly ReceivedTokens _received;

    public Viewer(string hubUrl, string accessToken, bool messagePack, HttpMessageHandler sharedHandler, Delivery delivery)
    {
        _received = new ReceivedTokens(delivery);
        var builder = new HubConnectionBuilder().WithUrl(hubUrl, o =>
        {
            o.AccessTokenProvider = () => Task.FromResult<string?>(accessToken);
            o.Transports = HttpTransportType.WebSockets;
            // One pooled handler for every viewer's negotiate call, as one browser shares its connection pool.
            o.HttpMessageHandlerFactory = _ => new SharedHandler(sharedHandler);
        });
        if (messagePack)
        {
            builder.AddMessagePackProtocol();
        }

        _connection = builder.Build();
        _connection.On<ViewerToken>(HubContract.TokenEvent, Receive);
        _connection.On<ViewerToken[]>(HubContract.TokensEvent, batch =>
        {
            foreach (var message in batch)
            {
                Receive(message);
            }
        });
    }

    public IEnumerable<StreamCheck> Checks => _received.Checks;

    public HubConnectionState State => _connection.State;

    public bool Connected => State == HubConnectionState.Connected;

    public Task Connect(CancellationToken cancellationToken) => _connection.StartAsync(cancellationToken);

    public Task Join(string threadId) => _connection.InvokeAsync<object[]>(HubContract.JoinThread, threadId);

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private void Receive(ViewerToken message) => _received.Receive(message, Stopwatch.GetTimestamp());

    /// <summary>Lets each connection wrap the shared handler without disposing it when the connection goes.</summary>
    private sealed class SharedHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override void Dispose(bool disposing)
        {
        }
    }
}
