using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ReHome.Producer;

internal sealed class StreamProducer(IGrainFactory grains, IOptions<StreamProducerOptions> options, ProducerMetrics metrics, ILogger<StreamProducer> logger)
    : IStreamProducer
{
    private readonly ConcurrentDictionary<string, ProducerStream> _streams = new();
    private readonly StreamProducerOptions _options = options.Value;
    private readonly Retry _retry = new(options.Value, logger);

    public Task ConfigureThreadAsync(string threadId, ThreadAccess access, CancellationToken cancellationToken = default)
    {
        Ids.Validate(threadId, "threadId");
        return _retry.Run("Configure thread", () => grains.GetGrain<IThreadGrain>(threadId).Configure(access),
            Retry.IsTransientOrStorage, cancellationToken);
    }

    public async Task<string> StartStreamAsync(string threadId, string runId, string? streamId = null, CancellationToken cancellationToken = default)
    {
        streamId ??= Guid.NewGuid().ToString("N");
        Ids.Validate(streamId, "streamId");
        Ids.Validate(threadId, "threadId");
        Ids.Validate(runId, "runId");

        var grain = grains.GetGrain<IStreamGrain>(streamId);
        // A start that could not be stored is retried like a failover: it is safe (starting again is a no-op), and a
        // storage outage shorter than RetryTimeout should cost the producer a wait, not its answer.
        var info = await _retry.Run("Start", () => grain.Start(threadId, runId), Retry.IsTransientOrStorage, cancellationToken);
        // A start that finds the stream under way (a restarted backend starting it again) takes it over like any
        // producer that did not start it: from the stored head, and not at all if a silo failure interrupted it.
        var fresh = info.LastSequence == 0 && !info.Interrupted;
        _streams.TryAdd(streamId, NewStream(grain, fresh ? 0 : -1));
        return streamId;
    }

    public Task<long> StreamTokenAsync(string streamId, string token, CancellationToken cancellationToken = default)
    {
        Ids.Validate(streamId, "streamId");
        if (token is null)
        {
            throw new InvalidRequestException("token", "token must not be null.");
        }

        TextRules.EnsureWellFormed(token, "token");
        return Send(streamId, token, cancellationToken);
    }

    private async Task<long> Send(string streamId, string token, CancellationToken cancellationToken)
    {
        var stream = Stream(streamId);
        try
        {
            return await stream.Enqueue(token).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is StreamEndedException or StreamCancelledException or StreamNotFoundException or StreamInterruptedException)
        {
            // The stream takes nothing more from this producer (a viewer stopped it, say), and the caller will not
            // end it: forget it and the tokens it kept, as an end does.
            _streams.TryRemove(KeyValuePair.Create(streamId, stream));
            throw;
        }
    }

    public async Task<bool> EndStreamAsync(string streamId, string? fullResponse = null, CancellationToken cancellationToken = default)
    {
        Ids.Validate(streamId, "streamId");
        if (fullResponse is not null)
        {
            TextRules.EnsureWellFormed(fullResponse, "fullResponse");
        }

        bool ended;
        try
        {
            ended = await Stream(streamId).End(fullResponse, cancellationToken);
        }
        catch (Exception ex) when (ex is StreamEndedException or StreamCancelledException or StreamNotFoundException or StreamInterruptedException)
        {
            _streams.TryRemove(streamId, out _);
            throw;
        }

        // Only now: a failed End keeps the stream's unstored tokens for the caller's next try, which must resend any
        // the grain lost (its silo died) rather than end the stream short of what viewers were shown.
        _streams.TryRemove(streamId, out _);
        return ended;
    }

    public async Task<bool> CancelAsync(string streamId, string reason, CancellationToken cancellationToken = default)
    {
        Ids.Validate(streamId, "streamId");
        if (reason is null)
        {
            throw new InvalidRequestException("reason", "reason must not be null.");
        }

        TextRules.EnsureWellFormed(reason, "reason");

        var grain = grains.GetGrain<IStreamGrain>(streamId);
        var attempts = 0;
        try
        {
            return await _retry.Run("Cancel", async () =>
            {
                // A retry that finds the stream ended may be our own first attempt having landed, or an end that came
                // first: the stored reason tells which.
                attempts++;
                return await grain.Cancel(reason) || (attempts > 1 && (await grain.GetInfo()).Reason == StreamEndReason.Cancelled);
            }, Retry.IsTransientOrStorage, cancellationToken);
        }
        finally
        {
            _streams.TryRemove(streamId, out _);
        }
    }

    /// <summary>How many streams this producer keeps a send queue and unstored tokens for.</summary>
    internal int TrackedStreams => _streams.Count;

    private ProducerStream Stream(string streamId) =>
        _streams.GetOrAdd(streamId, id => NewStream(grains.GetGrain<IStreamGrain>(id), lastSequence: -1));

    private ProducerStream NewStream(IStreamGrain grain, long lastSequence) =>
        new(grain, lastSequence, _retry, _options.MaxBatchTokens, _options.AttemptTimeout, metrics, logger);
}
