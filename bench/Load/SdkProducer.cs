using ReHome.Producer;

namespace ReHome.Bench.Load;

/// <summary>Produces through the producer SDK (<see cref="IStreamProducer"/>) over the bench's Orleans client.</summary>
internal sealed class SdkProducer(IStreamProducer producer) : IProducerDriver
{
    public Task ConfigureThread(string threadId, string ownerUserId, string[] memberUserIds) =>
        producer.ConfigureThreadAsync(threadId, new ThreadAccess(null, null, ownerUserId, memberUserIds));

    public Task StartStream(string threadId, string runId, string streamId) =>
        producer.StartStreamAsync(threadId, runId, streamId);

    public Task<long> Send(string streamId, string token) => producer.StreamTokenAsync(streamId, token);

    public async Task End(string streamId, long lastSequence)
    {
        if (!await producer.EndStreamAsync(streamId))
        {
            throw new InvalidOperationException($"Stream {streamId} had already ended.");
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
