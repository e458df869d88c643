using System.Collections.Concurrent;
using Orleans.Storage;

namespace ReHome.Silo;

/// <summary>
/// Grain storage whose entries are cleared a fixed time after their last write, as Redis does with
/// <c>RedisStorageOptions.EntryExpiry</c>: the in-memory mode's store for stream tombstones. Each write (re)arms a timer
/// in the silo that wrote; in-memory state does not outlive its silos anyway.
/// </summary>
internal sealed class ExpiringGrainStorage(IGrainStorage inner, TimeSpan expiry, TimeProvider time) : IGrainStorage, IDisposable
{
    private readonly ConcurrentDictionary<(string GrainType, GrainId GrainId), ITimer> _expiries = new();

    public Task ReadStateAsync<T>(string grainType, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(grainType, grainId, grainState);

    public async Task WriteStateAsync<T>(string grainType, GrainId grainId, IGrainState<T> grainState)
    {
        await inner.WriteStateAsync(grainType, grainId, grainState);
        var key = (grainType, grainId);
        var written = grainState.ETag;
        ITimer? timer = null;
        // The callback runs a whole expiry later, long after timer is set.
        timer = time.CreateTimer(_ => _ = Expire<T>(key, written, timer!), null, expiry, Timeout.InfiniteTimeSpan);
        _expiries.AddOrUpdate(key, timer, (_, previous) =>
        {
            previous.Dispose();
            return timer;
        });
    }

    public async Task ClearStateAsync<T>(string grainType, GrainId grainId, IGrainState<T> grainState)
    {
        if (_expiries.TryRemove((grainType, grainId), out var armed))
        {
            armed.Dispose();
        }

        await inner.ClearStateAsync(grainType, grainId, grainState);
    }

    private async Task Expire<T>((string GrainType, GrainId GrainId) key, string? etag, ITimer timer)
    {
        if (!_expiries.TryRemove(new KeyValuePair<(string, GrainId), ITimer>(key, timer)))
        {
            return; // Written or cleared again since.
        }

        timer.Dispose();
        try
        {
            await inner.ClearStateAsync(key.GrainType, key.GrainId, new GrainState<T> { ETag = etag });
        }
        catch (InconsistentStateException)
        {
            // Written again meanwhile; that write armed its own expiry.
        }
        catch (Exception)
        {
            // The silo is stopping (nothing else fails an in-memory delete), and its in-memory state goes with it.
        }
    }

    public void Dispose()
    {
        foreach (var timer in _expiries.Values)
        {
            timer.Dispose();
        }
    }
}
