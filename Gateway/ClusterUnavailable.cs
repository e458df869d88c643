namespace ReHome.Gateway;

/// <summary>
/// Which failures of a grain call mean the cluster did not answer (a failover, a storage outage): nothing was
/// changed, and the caller is told to retry (<c>unavailable</c>) instead of getting an internal error.
/// </summary>
internal static class ClusterUnavailable
{
    public static bool Is(Exception error, CancellationToken callerAborted) =>
        error is OrleansException or TimeoutException
        // A cancellation the caller did not ask for is Orleans giving up, e.g. "Message expired before placement
        // could complete" while a dead silo's grains are placed again.
        || (error is OperationCanceledException && !callerAborted.IsCancellationRequested);
}
