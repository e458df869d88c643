using ReHome.Gateway.Fanout;

namespace ReHome.Tests.Fanout;

/// <summary>
/// A connection's socket side under the test's control: writes complete at once, or, while <see cref="Stall"/> is
/// on, wait until <see cref="Release"/>. Records what was written, in order.
/// </summary>
internal sealed class FakeTransport : IViewerTransport
{
    private readonly object _lock = new();
    private readonly List<object> _written = [];
    private TaskCompletionSource? _stalled;

    public bool Stall { get; set; }

    public bool Aborted { get; private set; }

    public IReadOnlyList<object> Written
    {
        get
        {
            lock (_lock)
            {
                return [.. _written];
            }
        }
    }

    /// <summary>Token sequences written in batches, in order.</summary>
    public IEnumerable<long> Sequences => Written.OfType<OutboundBatch>().SelectMany(b => b.Messages).Where(m => !m.Done).Select(m => m.Sequence);

    /// <summary>Lets the write that waits complete (and the ones after it, until stalled again).</summary>
    public void Release()
    {
        TaskCompletionSource? stalled;
        lock (_lock)
        {
            Stall = false;
            (stalled, _stalled) = (_stalled, null);
        }

        stalled?.SetResult();
    }

    public ValueTask Send(OutboundBatch batch) => Write(batch);

    public ValueTask Send(BehindMessage behind) => Write(behind);

    public ValueTask Send(RevokedMessage revoked) => Write(revoked);

    public ValueTask Send(PresenceMessage presence) => Write(presence);

    public void Abort()
    {
        Aborted = true;
        Release();
    }

    private ValueTask Write(object item)
    {
        lock (_lock)
        {
            _written.Add(item);
            if (!Stall)
            {
                return ValueTask.CompletedTask;
            }

            _stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return new ValueTask(_stalled.Task);
        }
    }
}
