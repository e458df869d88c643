namespace ReHome.Gateway;

/// <summary>
/// Which failures of a grain call mean the cluster did not answer (a failover, a storage outage): the caller is told
/// to retry (<c>unavailable</c>) instead of getting an internal error. A call that timed out may still have been
/// carried out, so repeating it must be safe (sequence numbers, ends and cancels are).
/// </summary>
internal static class ClusterUnavailable
{
    public static bool Is(Exception error, CancellationToken callerAborted) =>
        error is OrleansException or TimeoutException
        // A cancellation the caller did not ask for is Orleans giving up, e.g. "Message expired before placement
        // could complete" while a dead silo's grains are placed again.
        || (error is OperationCanceledException && !callerAborted.IsCancellationRequested);
}
