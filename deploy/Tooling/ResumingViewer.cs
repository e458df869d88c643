using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace ReHome.Tooling;

/// <summary>
/// A SignalR viewer that resumes like the browser client must: it tracks the last sequence of every stream in
/// the threads it joined, fills a sequence jump (or what the gateway dropped when it fell behind) with
/// <c>GetTokens</c>, and when its connection drops it connects
/// to the next gateway (then the others in turn, the first one included), joins its threads again and fetches
/// what it missed. No token is shown twice and none is skipped.
/// </summary>
public sealed class ResumingViewer : IAsyncDisposable
{
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(2);

    private readonly IReadOnlyList<Uri> _gateways;
    private readonly Func<string> _accessToken;
    private readonly object _lock = new();
    private readonly Dictionary<string, ViewedStream> _streams = [];
    private readonly HashSet<string> _filling = [];
    private readonly HashSet<string> _fillAgain = [];
    private readonly List<string> _threads = [];
    private readonly CancellationTokenSource _disposed = new();
    private volatile HubConnection? _connection;
    private int _gatewayIndex;

    private ResumingViewer(IReadOnlyList<Uri> gateways, Func<string> accessToken)
    {
        _gateways = gateways;
        _accessToken = accessToken;
    }

    public ViewerStats Stats { get; } = new();

    /// <summary>The gateway this viewer is connected to now.</summary>
    public Uri Gateway => _gateways[Volatile.Read(ref _gatewayIndex)];

    /// <summary>Connects to <paramref name="gateways"/>[<paramref name="first"/>]; the others are where it goes when that one is lost.</summary>
    public static async Task<ResumingViewer> Connect(IReadOnlyList<Uri> gateways, Func<string> accessToken, int first = 0, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfZero(gateways.Count);
        var viewer = new ResumingViewer(gateways, accessToken) { _gatewayIndex = first % gateways.Count };
        viewer._connection = await viewer.Open(viewer.Gateway, cancellationToken);
        return viewer;
    }

    /// <summary>Joins a thread (again after every reconnect) and catches up on its streams.</summary>
    /// <exception cref="HubException">"forbidden: …" when the user may not watch the thread.</exception>
    public async Task<ThreadStream[]> Join(string threadId, CancellationToken cancellationToken = default)
    {
        var streams = await Connection.InvokeAsync<ThreadStream[]>(HubContract.JoinThread, threadId, cancellationToken);
        lock (_lock)
        {
            if (!_threads.Contains(threadId))
            {
                _threads.Add(threadId);
            }
        }

        CatchUp(streams);
        return streams;
    }

    /// <summary>What this viewer shows of a stream (tracked from now on if it was not yet).</summary>
    public ViewedStream Stream(string streamId)
    {
        lock (_lock)
        {
            return Track(streamId);
        }
    }

    /// <summary>Reads a stream's view under the viewer's lock, so the view does not change meanwhile.</summary>
    public T Read<T>(string streamId, Func<ViewedStream, T> read)
    {
        lock (_lock)
        {
            return read(Track(streamId));
        }
    }

    private HubConnection Connection => _connection ?? throw new InvalidOperationException("The viewer is not connected.");

    private async Task<HubConnection> Open(Uri gateway, CancellationToken cancellationToken)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(gateway, HubContract.Path), o =>
            {
                // As the browser client connects: one WebSocket request, so a load balancer needs no stickiness.
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
                o.AccessTokenProvider = () => Task.FromResult<string?>(_accessToken());
            })
            .Build();
        connection.On<TokenMessage>(HubContract.TokenEvent, message => Receive([message]));
        connection.On<TokenMessage[]>(HubContract.TokensEvent, Receive);
        connection.On<BehindMessage>(HubContract.BehindEvent, behind => _ = Fill(Stream(behind.StreamId)));
        connection.Closed += _ => OnClosed(connection);
        try
        {
            await connection.StartAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private void Receive(TokenMessage[] messages)
    {
        List<ViewedStream>? gaps = null;
        lock (_lock)
        {
            foreach (var message in messages)
            {
                var stream = Track(message.StreamId);
                if (stream.Apply(message, Stats))
                {
                    (gaps ??= []).Add(stream);
                }
            }
        }

        // Never wait on the hub inside a handler: the connection delivers the answer on the loop that runs it.
        foreach (var stream in gaps ?? [])
        {
            _ = Fill(stream);
        }
    }

    private void CatchUp(ThreadStream[] streams)
    {
        foreach (var info in streams)
        {
            var stream = Stream(info.StreamId);
            bool behind;
            lock (_lock)
            {
                behind = !stream.Done && (info.LastSequence > stream.Last || info.Done || stream.NeedsFill);
            }

            if (behind)
            {
                _ = Fill(stream);
            }
        }
    }

    /// <summary>Fetches what the stream has after what is shown, until no gap is left; one fill per stream at a time.</summary>
    private async Task Fill(ViewedStream stream)
    {
        lock (_lock)
        {
            if (!_filling.Add(stream.StreamId))
            {
                _fillAgain.Add(stream.StreamId);
                return;
            }
        }

        try
        {
            var pause = TimeSpan.FromMilliseconds(50);
            while (true)
            {
                long after;
                lock (_lock)
                {
                    _fillAgain.Remove(stream.StreamId);
                    after = stream.Last;
                }

                var connection = Connection;
                TokenPageMessage page;
                try
                {
                    page = await connection.InvokeAsync<TokenPageMessage>(HubContract.GetTokens, stream.StreamId, after, _disposed.Token);
                }
                catch (HubException ex) when (ex.Message.Contains("unavailable:", StringComparison.Ordinal)
                    && ReferenceEquals(connection, _connection) && connection.State == HubConnectionState.Connected)
                {
                    // The gateway is up but its cluster did not answer in time (a silo restarting): ask again, as the
                    // browser client's silence probe does. Nothing else would: the gap may be the stream's last.
                    await Task.Delay(pause, _disposed.Token);
                    pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
                    continue;
                }

                Stats.Fill();
                bool progressed;
                lock (_lock)
                {
                    if (!stream.Apply(page) && !_fillAgain.Contains(stream.StreamId))
                    {
                        return;
                    }

                    progressed = stream.Last > after;
                }

                if (!progressed)
                {
                    // The grain does not have the missing tokens yet (its producer is still resending them after a
                    // crash): ask again after a pause rather than in a tight loop.
                    await Task.Delay(pause, _disposed.Token);
                    pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
                }
            }
        }
        catch (Exception) when (!_disposed.IsCancellationRequested)
        {
            // The connection went away mid-fill; the reconnect fills every open stream again.
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            lock (_lock)
            {
                _filling.Remove(stream.StreamId);
            }
        }
    }

    private Task OnClosed(HubConnection closed)
    {
        if (!_disposed.IsCancellationRequested && ReferenceEquals(closed, _connection))
        {
            _ = Reconnect();
        }

        return Task.CompletedTask;
    }

    /// <summary>Tries the next gateway, then the others in turn, with growing pauses, until one takes it back.</summary>
    private async Task Reconnect()
    {
        Stats.Reconnect();
        var delay = TimeSpan.FromMilliseconds(50);
        for (var attempt = 1; !_disposed.IsCancellationRequested; attempt++)
        {
            var index = (_gatewayIndex + attempt) % _gateways.Count;
            HubConnection? connection = null;
            try
            {
                connection = await Open(_gateways[index], _disposed.Token);
                _connection = connection;
                Volatile.Write(ref _gatewayIndex, index);
                string[] threads;
                lock (_lock)
                {
                    threads = [.. _threads];
                }

                foreach (var threadId in threads)
                {
                    CatchUp(await connection.InvokeAsync<ThreadStream[]>(HubContract.JoinThread, threadId, _disposed.Token));
                }

                ViewedStream[] open;
                lock (_lock)
                {
                    open = [.. _streams.Values.Where(s => !s.Done)];
                }

                foreach (var stream in open)
                {
                    _ = Fill(stream);
                }

                return;
            }
            catch (Exception) when (!_disposed.IsCancellationRequested)
            {
                if (connection is not null)
                {
                    if (connection.State != HubConnectionState.Connected)
                    {
                        // It dropped while joining: its own Closed event starts the next round.
                        return;
                    }

                    // It connected but refused the join (its cluster client may not be ready): leave it for the next gateway.
                    _connection = null;
                    await connection.DisposeAsync();
                }

                await Task.Delay(delay, _disposed.Token).ContinueWith(_ => { });
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxReconnectDelay.Ticks));
            }
        }
    }

    private ViewedStream Track(string streamId)
    {
        if (!_streams.TryGetValue(streamId, out var stream))
        {
            stream = new ViewedStream(streamId);
            _streams[streamId] = stream;
        }

        return stream;
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        if (_connection is { } connection)
        {
            await connection.DisposeAsync();
        }

        _disposed.Dispose();
    }
}
