using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ReHome.Producer;

namespace ReHome.Tests.Producer;

/// <summary>
/// The SDK's resend after a grain came back without tokens it had acknowledged, against a grain that forgets
/// everything it holds just before chosen calls (its silo died, nothing was checkpointed yet).
/// </summary>
public sealed class ResendTests
{
    private static readonly Retry Quick = RetryTests.Quick;

    /// <summary>Retries that run out in a tenth of a second.</summary>
    private static readonly Retry ShortRetries = new(new StreamProducerOptions
    {
        RetryTimeout = TimeSpan.FromMilliseconds(100),
        FirstRetryDelay = TimeSpan.FromMilliseconds(1),
        MaxRetryDelay = TimeSpan.FromMilliseconds(5),
    }, NullLogger.Instance);

    private static readonly ProducerMetrics Metrics =
        new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());

    [Fact]
    public async Task Tokens_a_restarted_grain_lost_are_resent_under_their_numbers_before_the_next_append()
    {
        var grain = new ForgetfulStreamGrain(forgetBeforeCalls: [4]);
        var producer = new ProducerStream(grain, lastSequence: 0, Quick, maxBatch: 2, TimeSpan.FromSeconds(5), Metrics, NullLogger.Instance);

        for (var i = 1; i <= 3; i++)
        {
            Assert.Equal(i, await producer.Enqueue($"t{i} "));
        }

        Assert.Equal(4, await producer.Enqueue("t4 "));

        Assert.Equal(["t1 ", "t2 ", "t3 ", "t4 "], grain.Stored);
    }

    [Fact]
    public async Task A_grain_that_restarts_again_mid_resend_is_resent_from_where_it_stands()
    {
        // Calls 1-5 append t1..t5 one by one. Before call 6 (t6) the grain forgets: gap, expected 1. The resend puts
        // back t1-t2 (call 7), then the grain forgets again before call 8 (t3-t4), as when a rolling restart takes
        // its next silo too. The resend must start over at 1 rather than fail the append.
        var grain = new ForgetfulStreamGrain(forgetBeforeCalls: [6, 8]);
        var producer = new ProducerStream(grain, lastSequence: 0, Quick, maxBatch: 2, TimeSpan.FromSeconds(5), Metrics, NullLogger.Instance);
        for (var i = 1; i <= 5; i++)
        {
            Assert.Equal(i, await producer.Enqueue($"t{i} "));
        }

        Assert.Equal(6, await producer.Enqueue("t6 "));
        Assert.True(await producer.End(null, CancellationToken.None));

        Assert.Equal(["t1 ", "t2 ", "t3 ", "t4 ", "t5 ", "t6 "], grain.Stored);
        Assert.True(grain.Ended);
        Assert.Equal(2, grain.Forgotten);
    }

    [Fact]
    public async Task A_resend_larger_than_the_grain_takes_in_one_call_goes_in_smaller_calls()
    {
        // The SDK batches up to 8 tokens, the server takes 2 at a time. Sent one by one, five tokens pile up unstored;
        // the grain forgets them before the sixth, and the resend must fit the server's limit.
        var grain = new ForgetfulStreamGrain(forgetBeforeCalls: [6]) { MaxTokensPerCall = 2 };
        var producer = new ProducerStream(grain, lastSequence: 0, Quick, maxBatch: 8, TimeSpan.FromSeconds(5), Metrics, NullLogger.Instance);
        for (var i = 1; i <= 5; i++)
        {
            Assert.Equal(i, await producer.Enqueue($"t{i} "));
        }

        Assert.Equal(6, await producer.Enqueue("t6 "));

        Assert.Equal(["t1 ", "t2 ", "t3 ", "t4 ", "t5 ", "t6 "], grain.Stored);
    }

    [Fact]
    public async Task A_grain_that_loses_its_tokens_again_right_after_a_resend_gets_them_again()
    {
        // Calls 1-3 append t1..t3. Before call 4 (t4) the grain forgets: the resend puts t1-t3 back (calls 5, 6).
        // Before call 7, t4 again, it forgets once more, as when a rolling restart moves it to the next silo.
        var grain = new ForgetfulStreamGrain(forgetBeforeCalls: [4, 7]);
        var producer = new ProducerStream(grain, lastSequence: 0, Quick, maxBatch: 2, TimeSpan.FromSeconds(5), Metrics, NullLogger.Instance);
        for (var i = 1; i <= 3; i++)
        {
            Assert.Equal(i, await producer.Enqueue($"t{i} "));
        }

        Assert.Equal(4, await producer.Enqueue("t4 "));

        Assert.Equal(["t1 ", "t2 ", "t3 ", "t4 "], grain.Stored);
        Assert.Equal(2, grain.Forgotten);
    }

    [Fact]
    public async Task A_kept_token_the_grain_refuses_is_dropped_so_that_the_stream_goes_on()
    {
        // A token too long for the grain is sent while the cluster does not answer for longer than the retries last:
        // it is kept under its number, as every such token is. Once the cluster answers, the resend meets the refusal.
        var grain = new ForgetfulStreamGrain(forgetBeforeCalls: []) { MaxTokenChars = 5 };
        var producer = new ProducerStream(grain, lastSequence: 0, ShortRetries, maxBatch: 8, TimeSpan.FromSeconds(5), Metrics, NullLogger.Instance);
        Assert.Equal(1, await producer.Enqueue("t1 "));
        grain.Unreachable = true;
        await Assert.ThrowsAsync<TimeoutException>(() => producer.Enqueue("far too long"));
        await Assert.ThrowsAsync<TimeoutException>(() => producer.Enqueue("t3 "));
        grain.Unreachable = false;

        Assert.Equal(3, await producer.Enqueue("t4 "));
        Assert.True(await producer.End(null, CancellationToken.None));

        Assert.Equal(["t1 ", "t3 ", "t4 "], grain.Stored);
    }

    [Fact]
    public async Task An_end_waiting_on_queued_tokens_stops_waiting_at_the_callers_cancellation()
    {
        var grain = new ForgetfulStreamGrain(forgetBeforeCalls: []) { Unreachable = true };
        var producer = new ProducerStream(grain, lastSequence: 0, Quick, maxBatch: 2, TimeSpan.FromSeconds(5), Metrics, NullLogger.Instance);
        var queued = producer.Enqueue("t1 ");
        using var caller = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        // The queued token retries for Quick's 10 s; the caller gave up long before.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => producer.End(null, caller.Token));

        Assert.InRange(waited.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.False(queued.IsCompleted);
        Assert.False(grain.Ended);
    }

    [Fact]
    public async Task Tokens_the_grain_had_reported_durable_and_then_lost_fail_the_append_with_the_gap()
    {
        // Nothing is kept to resend them with: the producer must say so, not number new tokens after a hole.
        var grain = new ForgetfulStreamGrain(forgetBeforeCalls: [3]) { Durable = true };
        var producer = new ProducerStream(grain, lastSequence: 0, Quick, maxBatch: 2, TimeSpan.FromSeconds(5), Metrics, NullLogger.Instance);
        await producer.Enqueue("t1 ");
        await producer.Enqueue("t2 ");

        var gap = await Assert.ThrowsAsync<SequenceGapException>(() => producer.Enqueue("t3 "));

        Assert.Equal(1, gap.ExpectedSequence);
        Assert.Empty(grain.Stored);
    }

    [Fact]
    public async Task An_end_that_failed_keeps_the_tokens_so_the_next_try_resends_what_the_grain_lost()
    {
        var grain = new ForgetfulStreamGrain(forgetBeforeCalls: []);
        var producer = new StreamProducer(new OneGrain(grain), Options.Create(new StreamProducerOptions
        {
            RetryTimeout = TimeSpan.FromMilliseconds(200),
            FirstRetryDelay = TimeSpan.FromMilliseconds(1),
            MaxRetryDelay = TimeSpan.FromMilliseconds(5),
        }), Metrics, NullLogger<StreamProducer>.Instance);
        for (var i = 1; i <= 3; i++)
        {
            Assert.Equal(i, await producer.StreamTokenAsync("s", $"t{i} "));
        }

        // Storage does not answer for longer than the retries last, and the grain's silo dies meanwhile.
        grain.FailingEnds = int.MaxValue;
        await Assert.ThrowsAsync<StorageUnavailableException>(() => producer.EndStreamAsync("s"));
        grain.FailingEnds = 0;
        grain.Forget();

        Assert.True(await producer.EndStreamAsync("s"));
        Assert.Equal(["t1 ", "t2 ", "t3 "], grain.Stored);
    }

    [Fact]
    public async Task An_end_retried_after_a_viewer_stopped_the_stream_says_it_did_not_end_it()
    {
        // The first End is not applied (storage did not answer); a viewer's stop lands meanwhile. The retry finds the
        // stream ended, but not by this producer: its fullResponse was never stored.
        var grain = new ForgetfulStreamGrain(forgetBeforeCalls: []) { FailingEnds = 1, StoppedDuringFailingEnd = true };
        var producer = Producer(grain);
        await producer.StreamTokenAsync("s", "t1 ");

        Assert.False(await producer.EndStreamAsync("s", "t1 "));
        Assert.Equal(StreamEndReason.Cancelled, grain.Reason);
    }

    [Fact]
    public async Task An_end_whose_first_answer_was_lost_but_which_landed_says_it_ended_the_stream()
    {
        var grain = new EndLandsAnswerLost(new ForgetfulStreamGrain(forgetBeforeCalls: []));
        var producer = Producer(grain);
        await producer.StreamTokenAsync("s", "t1 ");

        Assert.True(await producer.EndStreamAsync("s", "t1 "));
        Assert.Equal(2, grain.Ends);
    }

    [Fact]
    public async Task A_cancel_retried_after_the_producer_ended_the_stream_says_it_did_not_cancel_it()
    {
        var grain = new ForgetfulStreamGrain(forgetBeforeCalls: []);
        var producer = Producer(new CancelLostOnceAfterAnEnd(grain));
        await producer.StreamTokenAsync("s", "t1 ");

        Assert.False(await producer.CancelAsync("s", "stop"));
        Assert.Equal(StreamEndReason.Completed, grain.Reason);
    }

    [Fact]
    public async Task A_stream_a_viewer_stopped_is_forgotten_by_the_producer_once_an_append_is_refused()
    {
        var grain = new ForgetfulStreamGrain(forgetBeforeCalls: []);
        var producer = Producer(grain);
        await producer.StreamTokenAsync("s", "t1 ");
        await grain.Cancel("stopped by a viewer");

        await Assert.ThrowsAsync<StreamCancelledException>(() => producer.StreamTokenAsync("s", "t2 "));

        // The backend stops generating and never calls End: nothing of the stream may stay in the producer.
        Assert.Equal(0, producer.TrackedStreams);
    }

    [Fact]
    public async Task A_thread_configure_that_storage_did_not_take_is_retried()
    {
        // Redis restarting: the thread refuses with storage_unavailable, as a start would, and is retried like one.
        var thread = new ThreadStoredOnSecondTry();
        var producer = Producer(thread);

        await producer.ConfigureThreadAsync("t", new ThreadAccess(null, null, "alice", []));

        Assert.Equal(2, thread.Configures);
    }

    [Fact]
    public void A_producer_with_no_batch_to_send_is_refused_when_resolved()
    {
        using var services = new ServiceCollection().AddReHomeProducer(o => o.MaxBatchTokens = 0)
            .AddSingleton<IGrainFactory>(new OneGrain(new ForgetfulStreamGrain(forgetBeforeCalls: [])))
            .AddLogging().BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStreamProducer>());
        Assert.Contains("MaxBatchTokens must be 1 or more", error.Message);
    }

    private static StreamProducer Producer(IAddressable grain) => new(new OneGrain(grain), Options.Create(new StreamProducerOptions
    {
        RetryTimeout = TimeSpan.FromMilliseconds(500),
        FirstRetryDelay = TimeSpan.FromMilliseconds(1),
        MaxRetryDelay = TimeSpan.FromMilliseconds(5),
    }), Metrics, NullLogger<StreamProducer>.Instance);

    /// <summary>A thread whose first configure finds storage not answering.</summary>
    private sealed class ThreadStoredOnSecondTry : IThreadGrain
    {
        public int Configures { get; private set; }

        public Task Configure(ThreadAccess access) =>
            ++Configures == 1 ? throw new StorageUnavailableException("Thread 't' could not store its access list.", null) : Task.CompletedTask;

        public ValueTask<ThreadAccess?> GetAccess() => throw new NotSupportedException();

        public ValueTask<TimeSpan?> SinceAccessNarrowed() => throw new NotSupportedException();

        public ValueTask<bool> CanAccess(string userId) => throw new NotSupportedException();

        public Task<StreamInfo[]> GetStreams() => throw new NotSupportedException();

        public Task StreamStarted(string streamId, string runId) => throw new NotSupportedException();

        public Task StreamEnded(StreamInfo final) => throw new NotSupportedException();

        public Task StreamEnded(string streamId) => throw new NotSupportedException();

        public Task StreamCleared(string streamId) => throw new NotSupportedException();
    }

    /// <summary>A grain whose first End is carried out but whose answer is lost on the way back.</summary>
    private sealed class EndLandsAnswerLost(ForgetfulStreamGrain inner) : DelegatingStreamGrain(inner)
    {
        public int Ends { get; private set; }

        public override async Task<bool> End(string? fullResponse, long? expectedLastSequence = null)
        {
            var ended = await base.End(fullResponse, expectedLastSequence);
            return ++Ends == 1 ? throw new TimeoutException("The answer was lost.") : ended;
        }
    }

    /// <summary>The producer's first Cancel is lost in transit, and the producer's own End lands before its retry.</summary>
    private sealed class CancelLostOnceAfterAnEnd(ForgetfulStreamGrain inner) : DelegatingStreamGrain(inner)
    {
        private bool _lost;

        public override async Task<bool> Cancel(string reason)
        {
            if (!_lost)
            {
                _lost = true;
                await base.End("t1 ", null);
                throw new TimeoutException("The call was lost.");
            }

            return await base.Cancel(reason);
        }
    }

    private abstract class DelegatingStreamGrain(IStreamGrain inner) : IStreamGrain
    {
        public virtual Task<bool> End(string? fullResponse, long? expectedLastSequence = null) => inner.End(fullResponse, expectedLastSequence);

        public virtual Task<bool> Cancel(string reason) => inner.Cancel(reason);

        public ValueTask<AppendAck> AppendMany(long firstSequence, string[] tokens) => inner.AppendMany(firstSequence, tokens);

        public Task<StreamInfo> Start(string threadId, string runId) => inner.Start(threadId, runId);

        public ValueTask<long> Append(string token) => inner.Append(token);

        public ValueTask<TokenPage> GetTokens(long afterSequence) => inner.GetTokens(afterSequence);

        public ValueTask<StreamInfo> GetInfo() => inner.GetInfo();

        public Task<StreamInfo> GetPosition() => inner.GetPosition();
    }

    /// <summary>
    /// <see cref="IStreamGrain.AppendMany"/>'s contract in memory: resent tokens with the same text are skipped, a
    /// number past the next one is a gap naming the next expected number.
    /// </summary>
    private sealed class ForgetfulStreamGrain(IReadOnlyCollection<int> forgetBeforeCalls) : IStreamGrain
    {
        private int _calls;

        public List<string> Stored { get; } = [];

        public bool Ended => Reason is not null;

        public StreamEndReason? Reason { get; private set; }

        public int Forgotten { get; private set; }

        /// <summary>A viewer stops the stream while the producer's failing end is in flight (that end is not applied).</summary>
        public bool StoppedDuringFailingEnd { get; init; }

        /// <summary>Acknowledge appended tokens as stored, so the producer need not keep them.</summary>
        public bool Durable { get; init; }

        /// <summary>The grain's batch limit: the smaller of <c>Streams:MaxTokensPerAppend</c> and <c>Streams:TokenBurst</c>.</summary>
        public int MaxTokensPerCall { get; init; } = int.MaxValue;

        /// <summary>The grain's <c>Streams:MaxTokenChars</c>.</summary>
        public int MaxTokenChars { get; init; } = int.MaxValue;

        /// <summary>Appends are not answered, as when the cluster cannot be reached (the attempt timed out).</summary>
        public bool Unreachable { get; set; }

        public ValueTask<AppendAck> AppendMany(long firstSequence, string[] tokens)
        {
            if (Unreachable)
            {
                throw new TimeoutException("The cluster did not answer.");
            }

            if (tokens.Any(t => t.Length > MaxTokenChars))
            {
                throw new InvalidRequestException("tokens", $"A token may hold at most {MaxTokenChars} characters.");
            }

            if (Reason == StreamEndReason.Cancelled)
            {
                throw new StreamCancelledException("s", "stopped by a viewer");
            }

            if (forgetBeforeCalls.Contains(++_calls))
            {
                Stored.Clear();
                Forgotten++;
            }

            if (tokens.Length > MaxTokensPerCall)
            {
                throw new InvalidRequestException("tokens", $"At most {MaxTokensPerCall} tokens may be appended in one call.");
            }

            var expected = Stored.Count + 1;
            if (firstSequence > expected)
            {
                throw new SequenceGapException("s", expected, firstSequence);
            }

            for (var i = 0; i < tokens.Length; i++)
            {
                var sequence = firstSequence + i;
                if (sequence <= Stored.Count)
                {
                    Assert.Equal(Stored[(int)sequence - 1], tokens[i]);
                }
                else
                {
                    Stored.Add(tokens[i]);
                }
            }

            return ValueTask.FromResult(new AppendAck(Stored.Count, Durable ? Stored.Count : 0));
        }

        /// <summary>Ends that fail as if storage did not answer, before any succeeds.</summary>
        public int FailingEnds { get; set; }

        public Task<bool> End(string? fullResponse, long? expectedLastSequence = null)
        {
            if (FailingEnds > 0)
            {
                FailingEnds--;
                if (StoppedDuringFailingEnd)
                {
                    Reason ??= StreamEndReason.Cancelled;
                }

                throw new StorageUnavailableException("Storage did not answer.", null);
            }

            if (expectedLastSequence > Stored.Count)
            {
                throw new SequenceGapException("s", Stored.Count + 1, expectedLastSequence.Value + 1);
            }

            var first = !Ended;
            Reason ??= StreamEndReason.Completed;
            return Task.FromResult(first);
        }

        public Task<StreamInfo> Start(string threadId, string runId) => throw new NotSupportedException();

        public ValueTask<long> Append(string token) => throw new NotSupportedException();

        /// <summary>A stop, as a viewer's or the producer's: true only for the call that ended the stream.</summary>
        public Task<bool> Cancel(string reason)
        {
            var first = !Ended;
            Reason ??= StreamEndReason.Cancelled;
            return Task.FromResult(first);
        }

        public ValueTask<TokenPage> GetTokens(long afterSequence) => throw new NotSupportedException();

        public ValueTask<StreamInfo> GetInfo() => ValueTask.FromResult(Info());

        public Task<StreamInfo> GetPosition() => Task.FromResult(Info());

        private StreamInfo Info() => new("s", "t", "r", Stored.Count, Ended, Reason, null, DateTimeOffset.UnixEpoch, null);

        /// <summary>Forgets what it held, as a grain reactivated after its silo died before a checkpoint.</summary>
        public void Forget()
        {
            Stored.Clear();
            Forgotten++;
        }
    }

    /// <summary>A grain factory with one grain in it, for the producer above it.</summary>
    private sealed class OneGrain(IAddressable grain) : IGrainFactory
    {
        public TGrainInterface GetGrain<TGrainInterface>(string primaryKey, string? grainClassNamePrefix = null)
            where TGrainInterface : IGrainWithStringKey => (TGrainInterface)grain;

        public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string? grainClassNamePrefix = null)
            where TGrainInterface : IGrainWithGuidKey => throw new NotSupportedException();

        public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string? grainClassNamePrefix = null)
            where TGrainInterface : IGrainWithIntegerKey => throw new NotSupportedException();

        public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string keyExtension, string? grainClassNamePrefix = null)
            where TGrainInterface : IGrainWithGuidCompoundKey => throw new NotSupportedException();

        public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string keyExtension, string? grainClassNamePrefix = null)
            where TGrainInterface : IGrainWithIntegerCompoundKey => throw new NotSupportedException();

        public TGrainObserverInterface CreateObjectReference<TGrainObserverInterface>(IGrainObserver obj)
            where TGrainObserverInterface : IGrainObserver => throw new NotSupportedException();

        public void DeleteObjectReference<TGrainObserverInterface>(IGrainObserver obj)
            where TGrainObserverInterface : IGrainObserver => throw new NotSupportedException();

        public IGrain GetGrain(Type grainInterfaceType, Guid grainPrimaryKey) => throw new NotSupportedException();

        public IGrain GetGrain(Type grainInterfaceType, long grainPrimaryKey) => throw new NotSupportedException();

        public IGrain GetGrain(Type grainInterfaceType, string grainPrimaryKey) => throw new NotSupportedException();

        public IGrain GetGrain(Type grainInterfaceType, Guid grainPrimaryKey, string keyExtension) => throw new NotSupportedException();

        public IGrain GetGrain(Type grainInterfaceType, long grainPrimaryKey, string keyExtension) => throw new NotSupportedException();

        public TGrainInterface GetGrain<TGrainInterface>(GrainId grainId) where TGrainInterface : IAddressable => throw new NotSupportedException();

        public IAddressable GetGrain(GrainId grainId) => throw new NotSupportedException();

        public IAddressable GetGrain(GrainId grainId, GrainInterfaceType interfaceType) => throw new NotSupportedException();

        public IAddressable GetGrain(Type interfaceType, IdSpan grainKey, string grainClassNamePrefix) => throw new NotSupportedException();

        public IAddressable GetGrain(Type interfaceType, IdSpan grainKey) => throw new NotSupportedException();
    }
}
