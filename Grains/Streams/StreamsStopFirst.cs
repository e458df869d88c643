using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace ReHome.Grains;

/// <summary>
/// With in-memory grain storage, deactivates this silo's stream grains first when it stops, while it is still an
/// active member. A stream grain stores its last tokens as it deactivates; in-memory storage lives in storage grains,
/// and Orleans deactivates every activation of a stopping silo at once, after the silo has left the active members.
/// Each open stream's last write then went to a storage grain that was gone and could not be placed again, and failed
/// (with about three warnings and errors per stream). Redis storage needs no grain, so it needs no such order.
/// </summary>
public sealed partial class StreamsStopFirst(ILogger<StreamsStopFirst> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly ConcurrentDictionary<GrainId, IGrainContext> _active = new();

    internal void Activated(IGrainContext stream)
    {
        _active[stream.GrainId] = stream;
        stream.Deactivated.ContinueWith(_ => _active.TryRemove(stream.GrainId, out var _), TaskScheduler.Default);
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        // Stops run from the last stage down; at Active the silo tells its clients to stop and is still a member.
        lifecycle.Subscribe(nameof(StreamsStopFirst), ServiceLifecycleStage.Active, _ => Task.CompletedTask, Stop);

    private async Task Stop(CancellationToken cancellationToken)
    {
        var streams = _active.Values.ToList();
        var reason = new DeactivationReason(DeactivationReasonCode.ShuttingDown, "The silo stops; streams store their state while storage is up.");
        foreach (var stream in streams)
        {
            stream.Deactivate(reason, cancellationToken);
        }

        try
        {
            await Task.WhenAll(streams.Select(s => s.Deactivated)).WaitAsync(cancellationToken);
            LogStopped(streams.Count);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout ran out; Orleans deactivates what is left.
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Count} stream grains deactivated before the silo left the cluster.")]
    private partial void LogStopped(int count);
}
