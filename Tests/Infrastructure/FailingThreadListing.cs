using System.Collections.Concurrent;

namespace ReHome.Tests.Infrastructure;

/// <summary>
/// A silo's grain call filter that makes chosen threads' <c>GetStreams</c> throw a <see cref="TimeoutException"/>, as
/// a call the cluster did not answer: once (the next subscription to the thread), or from then on; or answer late, as
/// a cluster slow to answer. Register it as an <see cref="IIncomingGrainCallFilter"/> singleton (what Orleans' own
/// AddIncomingGrainCallFilter does; that overload is internal to it).
/// </summary>
public sealed class FailingThreadListing : IIncomingGrainCallFilter
{
    /// <summary>Thread id → whether it fails only once.</summary>
    private readonly ConcurrentDictionary<string, bool> _threads = new();

    /// <summary>Thread id → how late its next listing answers.</summary>
    private readonly ConcurrentDictionary<string, TimeSpan> _late = new();

    public void FailNext(string threadId) => _threads[threadId] = true;

    public void FailFromNow(string threadId) => _threads[threadId] = false;

    /// <summary>The thread's next <c>GetStreams</c> answers only after <paramref name="delay"/> (keep it under the response timeout).</summary>
    public void AnswerNextLate(string threadId, TimeSpan delay) => _late[threadId] = delay;

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.Grain is IThreadGrain && context.InterfaceMethod.Name == nameof(IThreadGrain.GetStreams))
        {
            var threadId = context.TargetId.Key.ToString()!;
            if (_late.TryRemove(threadId, out var delay))
            {
                await Task.Delay(delay);
            }

            if (Fails(threadId))
            {
                throw new TimeoutException("Injected by the test: the cluster did not answer.");
            }
        }

        await context.Invoke();
    }

    private bool Fails(string threadId) =>
        _threads.TryGetValue(threadId, out var once) && (!once || _threads.TryRemove(new KeyValuePair<string, bool>(threadId, true)));
}
