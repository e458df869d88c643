namespace ReHome;

/// <summary>No backend has configured this thread yet, so nobody could watch its streams.</summary>
[GenerateSerializer, Alias("rehome.ThreadNotFoundException")]
public sealed class ThreadNotFoundException(string threadId)
    : ReHomeException("thread_not_found", $"Thread '{threadId}' has not been configured.")
{
    [Id(0)]
    public string ThreadId { get; private set; } = threadId;
}
