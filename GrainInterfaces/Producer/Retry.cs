using Microsoft.Extensions.Logging;

namespace ReHome.Producer;

/// <summary>Retries a cluster call through transient failures, with doubling delays, until a deadline.</summary>
internal sealed partial class Retry(StreamProducerOptions options, ILogger logger)
{
    /// <summary>
    /// Anything but a deliberate refusal or a bad argument is treated as transient: a dying silo surfaces as
    /// timeouts, rejected messages, connection errors and cancellations Orleans makes itself ("Message expired
    /// before placement" is an <see cref="OperationCanceledException"/>), and all of them are worth another try
    /// until the deadline. Only the caller's own cancellation is final; <see cref="Run{T}"/> checks that token.
    /// </summary>
    public static bool IsTransient(Exception ex) => ex is not (ReHomeException or ArgumentException);

    /// <summary>
    /// Also retries storage that did not answer: a durable write (start, end, cancel), which is idempotent, or a read
    /// that confirms a position or a gap (a takeover, an append past the grain's last number). Each is worth waiting
    /// for storage to return.
    /// </summary>
    public static bool IsTransientOrStorage(Exception ex) => IsTransient(ex) || ex is StorageUnavailableException;

    /// <summary>
    /// Also waits out a stream's token rate, for at least the refusal's <see cref="RateLimitedException.RetryAfter"/>:
    /// a refused append stores nothing, and the tokens queued behind it must not take its numbers, so the producer
    /// slows to the rate rather than leave a hole in the text.
    /// </summary>
    public static bool IsTransientStorageOrRate(Exception ex) => IsTransientOrStorage(ex) || ex is RateLimitedException;

    public async Task<T> Run<T>(string operation, Func<Task<T>> call, Func<Exception, bool> isTransient, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + options.RetryTimeout;
        var delay = options.FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception ex) when (isTransient(ex) && DateTime.UtcNow + Wait(ex, delay) < deadline && !cancellationToken.IsCancellationRequested)
            {
                LogRetry(ex, operation, attempt, Wait(ex, delay));
                await Task.Delay(Wait(ex, delay), cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxRetryDelay.Ticks));
            }
        }
    }

    private static TimeSpan Wait(Exception ex, TimeSpan delay) =>
        ex is RateLimitedException limited && limited.RetryAfter > delay ? limited.RetryAfter : delay;

    public Task Run(string operation, Func<Task> call, Func<Exception, bool> isTransient, CancellationToken cancellationToken) =>
        Run(operation, async () =>
        {
            await call();
            return true;
        }, isTransient, cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Operation} failed (attempt {Attempt}); retrying in {Delay}.")]
    private partial void LogRetry(Exception exception, string operation, int attempt, TimeSpan delay);
}
