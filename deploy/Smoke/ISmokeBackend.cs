using ReHome.Producer;

namespace ReHome.Smoke;

/// <summary>How the smoke command produces and checks a stream: the producer SDK through Redis, or the HTTP API.</summary>
public interface ISmokeBackend : IAsyncDisposable
{
    IStreamProducer Producer { get; }

    /// <summary>The thread's owner, or null when it does not exist.</summary>
    Task<string?> ThreadOwner(string threadId);

    /// <summary>Whether the run exists, or null when this backend cannot tell.</summary>
    Task<bool?> RunExists(string runId);

    Task<StreamInfo> StreamInfo(string streamId);

    Task<TokenPage> Tokens(string streamId);
}
