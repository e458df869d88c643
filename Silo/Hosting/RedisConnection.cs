using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace ReHome.Silo;

/// <summary>
/// A silo's one Redis connection for its grain storages, its reminders and its readiness check. Orleans' providers
/// would each open their own, and each costs a socket pair that Redis counts and a heartbeat timer that wakes the
/// silo every second. Membership keeps a connection of its own, so its heartbeats never queue behind a burst of
/// checkpoints. Connected on first use; a connect that failed is tried again on the next use.
/// </summary>
internal sealed class RedisConnection(string connectionString) : IAsyncDisposable
{
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private IConnectionMultiplexer? _multiplexer;
    private bool _disposed;

    /// <summary>Registers the process's one instance, if there is none yet.</summary>
    public static void AddTo(IServiceCollection services, string connectionString) =>
        services.TryAddSingleton(_ => new RedisConnection(connectionString));

    public async Task<IConnectionMultiplexer> Get()
    {
        if (Volatile.Read(ref _multiplexer) is { } connected)
        {
            return connected;
        }

        await _connecting.WaitAsync();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_multiplexer is null)
            {
                var options = ConfigurationOptions.Parse(connectionString);
                // While Redis is unreachable, fail commands at once rather than queue them until a timeout: a start
                // or end then gets a clear storage_unavailable in milliseconds instead of a client-side timeout, the
                // write-behind checkpoints simply retry, and readiness drops at once.
                options.BacklogPolicy = BacklogPolicy.FailFast;
                Volatile.Write(ref _multiplexer, await ConnectionMultiplexer.ConnectAsync(options));
            }

            return _multiplexer!;
        }
        finally
        {
            _connecting.Release();
        }
    }

    /// <summary>For an Orleans provider's <c>CreateMultiplexer</c>: shared, so the provider leaves it open when it stops.</summary>
    public async Task<(IConnectionMultiplexer Multiplexer, bool IsShared)> ForProvider() => (await Get(), true);

    public async ValueTask DisposeAsync()
    {
        await _connecting.WaitAsync();
        try
        {
            _disposed = true;
            if (_multiplexer is not null)
            {
                await _multiplexer.DisposeAsync();
            }
        }
        finally
        {
            _connecting.Release();
        }
    }
}
