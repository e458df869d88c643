using ReHome.Tests.Infrastructure;

namespace ReHome.Bench.Load;

/// <summary>
/// A viewer that never reads its socket (a frozen tab, a phone in a tunnel): a raw WebSocket with a 4 KB receive
/// buffer speaking the SignalR JSON protocol by hand (<see cref="RawHubSocket"/>, shared with the tests). It joins
/// its thread and asks for a large history that it never reads, so that its socket is full from the start, rather
/// than after the minutes that light load takes to fill a loopback socket's buffers (about 2 MB). It pings like a
/// live client; when the gateway drops it, it connects and stalls again, so its thread has a stalled viewer throughout.
/// </summary>
internal sealed class StalledViewer : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _connections;
    private int _failures;

    public StalledViewer(Uri hub, string accessToken, string threadId, string ballastStreamId, int fills) =>
        _loop = Task.Run(() => Loop(hub, accessToken, threadId, ballastStreamId, fills));

    /// <summary>Times it connected and stalled.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Connection attempts that failed.</summary>
    public int Failures => Volatile.Read(ref _failures);

    public string? FirstError { get; private set; }

    private async Task Loop(Uri hub, string accessToken, string threadId, string ballastStreamId, int fills)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await using var socket = await RawHubSocket.Connect(hub, accessToken, receiveBufferBytes: 4096, _stop.Token);
                await socket.Send(HubContract.JoinThread, threadId);
                for (var i = 0; i < fills; i++)
                {
                    await socket.Send(HubContract.GetTokens, ballastStreamId, 0L);
                }

                Interlocked.Increment(ref _connections);
                socket.KeepAlive(TimeSpan.FromSeconds(1));
                await socket.Closed.WaitAsync(_stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref _failures);
                FirstError ??= ex.Message;
            }

            // The next stall a moment later, as a client's reconnect would.
            await Task.Delay(TimeSpan.FromMilliseconds(200), _stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
