using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace ReHome.Grains;

/// <summary>The silo's hygiene sweep asks a stream to run its idle and retention checks (see <see cref="StreamHygieneSweep"/>).</summary>
[Alias("rehome.IStreamHygiene")]
public interface IStreamHygiene : IGrainWithStringKey
{
    [Alias("CheckHygiene")]
    Task CheckHygiene();
}

/// <summary>
/// One timer per silo for the hygiene of its active streams, in place of a grain timer per stream (about 700 bytes
/// of heap each, and a wake-up per stream per period). Each tick it calls only the streams whose own due time has
/// passed (no token for <see cref="StreamOptions.StreamIdleTimeout"/>, or ended <see cref="StreamOptions.DoneRetention"/>
/// ago). The call is a grain call, so the check takes its turn like any other; one that fails is retried next tick.
/// </summary>
public sealed partial class StreamHygieneSweep(
    IGrainFactory grains,
    IOptions<StreamOptions> options,
    TimeProvider time,
    ILogger<StreamHygieneSweep> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>Watched streams; true while a check of that stream is in flight.</summary>
    private readonly ConcurrentDictionary<StreamGrain, bool> _watched = new(ReferenceEqualityComparer.Instance);
    private readonly CancellationTokenSource _stopped = new();
    private Task _loop = Task.CompletedTask;

    /// <summary>How often the sweep looks: a tenth of the shortest expiry, within 20 ms and 30 s.</summary>
    private readonly TimeSpan _period = PeriodFor(options.Value);

    internal void Watch(StreamGrain stream) => _watched.TryAdd(stream, false);

    internal void Forget(StreamGrain stream) => _watched.TryRemove(stream, out _);

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(StreamHygieneSweep), ServiceLifecycleStage.Active, Start, Stop);

    private static TimeSpan PeriodFor(StreamOptions options)
    {
        var shortest = options.StreamIdleTimeout < options.DoneRetention ? options.StreamIdleTimeout : options.DoneRetention;
        return TimeSpan.FromTicks(Math.Clamp(shortest.Ticks / 10, TimeSpan.FromMilliseconds(20).Ticks, TimeSpan.FromSeconds(30).Ticks));
    }

    private Task Start(CancellationToken cancellationToken)
    {
        _loop = Task.Run(Loop, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task Stop(CancellationToken cancellationToken)
    {
        _stopped.Cancel();
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task Loop()
    {
        using var timer = new PeriodicTimer(_period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopped.Token))
            {
                var now = time.GetUtcNow();
                foreach (var (stream, checking) in _watched)
                {
                    if (!checking && stream.HygieneDue(now) && _watched.TryUpdate(stream, true, false))
                    {
                        _ = Check(stream);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The silo stops.
        }
    }

    private async Task Check(StreamGrain stream)
    {
        try
        {
            await grains.GetGrain<IStreamHygiene>(stream.GetPrimaryKeyString()).CheckHygiene();
        }
        catch (Exception ex)
        {
            LogCheckFailed(ex, stream.GetPrimaryKeyString());
        }
        finally
        {
            _watched.TryUpdate(stream, false, true);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Hygiene check of stream {StreamId} failed; the sweep retries it on its next tick.")]
    private partial void LogCheckFailed(Exception exception, string streamId);
}
