using Microsoft.Extensions.Logging.Abstractions;
using ReHome.Producer;

namespace ReHome.Tests.Producer;

public sealed class RetryTests
{
    /// <summary>Retries at once and often, so a test's retries take milliseconds.</summary>
    internal static readonly Retry Quick = new(new StreamProducerOptions
    {
        RetryTimeout = TimeSpan.FromSeconds(10),
        FirstRetryDelay = TimeSpan.FromMilliseconds(1),
        MaxRetryDelay = TimeSpan.FromMilliseconds(5),
    }, NullLogger.Instance);

    [Fact]
    public async Task A_cancellation_Orleans_makes_itself_is_retried()
    {
        // What a client sees when its message outlives its placement during a failover.
        var attempts = 0;
        var result = await Quick.Run("Append", () => ++attempts == 1
            ? throw new OperationCanceledException("Message expired before placement")
            : Task.FromResult(42), Retry.IsTransient, CancellationToken.None);

        Assert.Equal(42, result);
        Assert.Equal(2, attempts);
    }

    [Fact]
    public async Task A_cancellation_of_an_unrelated_token_is_retried_while_the_callers_token_is_live()
    {
        using var unrelated = new CancellationTokenSource();
        await unrelated.CancelAsync();
        using var caller = new CancellationTokenSource();
        var attempts = 0;

        var result = await Quick.Run("Start", () => ++attempts < 3
            ? throw new OperationCanceledException(unrelated.Token)
            : Task.FromResult("started"), Retry.IsTransient, caller.Token);

        Assert.Equal("started", result);
        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task The_callers_own_cancellation_is_final()
    {
        using var caller = new CancellationTokenSource();
        var attempts = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Quick.Run<int>("End", async () =>
        {
            attempts++;
            await caller.CancelAsync();
            throw new OperationCanceledException(caller.Token);
        }, Retry.IsTransient, caller.Token));

        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task A_refusal_or_a_bad_argument_is_final()
    {
        var attempts = 0;
        await Assert.ThrowsAsync<StreamEndedException>(() => Quick.Run<int>("Append", () =>
        {
            attempts++;
            throw new StreamEndedException("s-1", StreamEndReason.Completed);
        }, Retry.IsTransient, CancellationToken.None));
        Assert.Equal(1, attempts);

        Assert.False(Retry.IsTransient(new ArgumentNullException("token")));
        Assert.True(Retry.IsTransient(new TimeoutException()));
        Assert.True(Retry.IsTransient(new OperationCanceledException()));
    }

    [Fact]
    public async Task Storage_refusals_are_retried_only_where_the_call_is_idempotent()
    {
        var storage = new StorageUnavailableException("Stream 's-1' could not store its start.", new TimeoutException());
        Assert.False(Retry.IsTransient(storage));
        Assert.True(Retry.IsTransientOrStorage(storage));

        var attempts = 0;
        var result = await Quick.Run("Start", () => ++attempts == 1 ? throw storage : Task.FromResult(true),
            Retry.IsTransientOrStorage, CancellationToken.None);
        Assert.True(result);
        Assert.Equal(2, attempts);
    }
}
