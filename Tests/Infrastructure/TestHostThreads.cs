using System.Runtime.CompilerServices;

namespace ReHome.Tests.Infrastructure;

/// <summary>
/// Gives the test host's thread pool room for the test runner. vstest's message loop and xunit's assembly runner
/// each hold a pool thread blocked for the whole run, which on two cores is every thread the pool keeps ready. The
/// fault tests' senders and viewers then waited 0.6–0.9 s at a time for the pool to add threads, and those waits
/// showed up as the cluster's stalls.
/// </summary>
internal static class TestHostThreads
{
    [ModuleInitializer]
    internal static void Reserve()
    {
        ThreadPool.GetMinThreads(out var workers, out var completions);
        ThreadPool.SetMinThreads(workers + 8, completions);
    }
}
