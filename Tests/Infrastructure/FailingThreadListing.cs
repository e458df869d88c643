using System.Collections.Concurrent;

namespace ReHome.Tests.Infrastructure;

/// <summary>
/// A silo's grain call filter that makes chosen threads' <c>GetStreams</c> throw a <see cref="TimeoutException"/>, as
/// a call the cluster did not answer: once (the next subscription to the thread), or from then on. Register it as an
/// <see cref="IIncomingGrainCallFilter"/> singleton (what Orleans' own AddIncomingGrainCallFilter does; that
/// overload is internal to it).
/// </summary>
public sealed class FailingThreadListing : IIncomingGrainCallFilter
{
    /// <summary>Thread id → whether it fails only once.</summary>
    private readonly ConcurrentDictionary<string, bool> _threads = new();

    public void FailNext(string threadId) => _threads[threadId] = true;

    public void FailFromNow(string threadId) => _threads[threadId] = false;

    public Task Invoke(IIncomingGrainCallContext context) =>
        context.Grain is IThreadGrain && context.InterfaceMethod.Name == nameof(IThreadGrain.GetStreams) && Fails(context.TargetId.Key.ToString()!)
            ? throw new TimeoutException("Injected by the test: the cluster did not answer.")
            : context.Invoke();

    private bool Fails(string threadId) =>
        _threads.TryGetValue(threadId, out var once) && (!once || _threads.TryRemove(new KeyValuePair<string, bool>(threadId, true)));
}
