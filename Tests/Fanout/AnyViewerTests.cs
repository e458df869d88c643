using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ReHome.Gateway;
using ReHome.Gateway.Fanout;

namespace ReHome.Tests.Fanout;

/// <summary>
/// The signal the gateway's once-a-second loops (the stalled-viewer sweep, the subscription keeper) wait on, so that a
/// gateway nobody is connected to is not woken for them: set while any viewer is connected, and only then.
/// </summary>
public sealed class AnyViewerTests
{
    // Connecting and disconnecting viewers of no thread never calls the cluster.
    private readonly ThreadFanout _fanout = new(null!, Options.Create(new GatewayOptions()), ViewerTests.Metrics(), TimeProvider.System, NullLogger<ThreadFanout>.Instance);

    [Fact]
    public async Task Waits_while_nobody_is_connected_and_ends_when_a_viewer_connects()
    {
        var waiting = _fanout.AnyViewer(CancellationToken.None);
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);

        _fanout.Connect("c1", "alice", new FakeTransport());

        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(_fanout.AnyViewer(CancellationToken.None).IsCompleted);
    }

    [Fact]
    public async Task Waits_again_once_the_last_viewer_has_gone_and_not_before()
    {
        var first = _fanout.Connect("c1", "alice", new FakeTransport());
        var second = _fanout.Connect("c2", "bob", new FakeTransport());

        await _fanout.Disconnect(first);
        Assert.True(_fanout.AnyViewer(CancellationToken.None).IsCompleted);

        await _fanout.Disconnect(second);
        var waiting = _fanout.AnyViewer(CancellationToken.None);
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);

        _fanout.Connect("c3", "carol", new FakeTransport());
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_stopping_gateway_ends_the_wait()
    {
        using var stopping = new CancellationTokenSource();
        var waiting = _fanout.AnyViewer(stopping.Token);

        stopping.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }
}
