namespace ReHome.Bench.Load;

/// <summary>How the bench produces tokens on a system under test: the producer SDK, the HTTP API, or the baseline's equivalents.</summary>
internal interface IProducerDriver : IAsyncDisposable
{
    Task ConfigureThread(string threadId, string ownerUserId, string[] memberUserIds);

    Task StartStream(string threadId, string runId, string streamId);

    /// <summary>
    /// Hands one token to the producer without waiting for earlier ones; completes with its sequence number.
    /// Calls for one stream come from one thread, in order.
    /// </summary>
    Task<long> Send(string streamId, string token);

    Task End(string streamId, long lastSequence);
}
