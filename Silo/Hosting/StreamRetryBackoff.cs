using Orleans.Internal;
using Orleans.Runtime.Providers;

namespace ReHome.Silo;

/// <summary>
/// How long a stream pulling agent waits before it reads a queue or delivers to a subscriber again after a failure:
/// doubling from <paramref name="first"/> up to <paramref name="max"/>. Orleans' defaults (10–20 s for reads, 1–30 s
/// for deliveries) made every thread whose queue lived on a dead silo stall about ten seconds after the silo was
/// already declared dead; a failed read or delivery here costs a fraction of a second.
/// </summary>
internal sealed class StreamRetryBackoff(TimeSpan first, TimeSpan max) : IQueueReaderBackoffProvider, IMessageDeliveryBackoffProvider
{
    public TimeSpan Next(int attempt) =>
        TimeSpan.FromTicks(Math.Min(max.Ticks, first.Ticks << Math.Clamp(attempt, 0, 20)));
}
