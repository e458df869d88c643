using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR.Client;

namespace ReHome.Tests.Infrastructure;

/// <summary>A watcher on a real SignalR connection that records every token message it is sent.</summary>
public sealed class Viewer : IAsyncDisposable
{
    private readonly ConcurrentQueue<TokenMessage> _received = new();

    private Viewer(HubConnection connection)
    {
        Connection = connection;
        connection.On<TokenMessage>(HubContract.TokenEvent, m => _received.Enqueue(m));
        connection.On<TokenMessage[]>(HubContract.TokensEvent, batch =>
        {
            foreach (var m in batch)
            {
                _received.Enqueue(m);
            }
        });
    }

    public HubConnection Connection { get; }

    public IReadOnlyCollection<TokenMessage> Received => _received;

    public static async Task<Viewer> Connect(GatewayFixture gateway, string userId, Action<IHubConnectionBuilder>? configure = null)
    {
        var viewer = new Viewer(gateway.Connection(userId, configure));
        await viewer.Connection.StartAsync();
        return viewer;
    }

    public Task<ThreadStream[]> Join(string threadId) => Connection.InvokeAsync<ThreadStream[]>(HubContract.JoinThread, threadId);

    public Task<TokenPageMessage> GetTokens(string streamId, long afterSequence) =>
        Connection.InvokeAsync<TokenPageMessage>(HubContract.GetTokens, streamId, afterSequence);

    public List<TokenMessage> Tokens(string streamId) => [.. _received.Where(m => m.StreamId == streamId && !m.Done)];

    public TokenMessage? Done(string streamId) => _received.Where(m => m.StreamId == streamId && m.Done).Cast<TokenMessage?>().FirstOrDefault();

    public async Task<TokenMessage> WaitForDone(string streamId, TimeSpan? timeout = null) =>
        (await Eventually.Get(() => Task.FromResult(Done(streamId)), d => d is not null, timeout, $"done of {streamId}"))!.Value;

    /// <summary>
    /// The server's own message of a hub error. SignalR clients receive it after a fixed prefix
    /// ("An unexpected error occurred invoking 'X' on the server. HubException: ").
    /// </summary>
    public static string ServerMessage(Microsoft.AspNetCore.SignalR.HubException error)
    {
        const string marker = "HubException: ";
        var at = error.Message.IndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? error.Message : error.Message[(at + marker.Length)..];
    }

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
}
