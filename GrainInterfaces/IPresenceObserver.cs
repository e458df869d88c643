using Orleans.Concurrency;

namespace ReHome;

/// <summary>A gateway's ear for presence changes of the threads it reported watchers for.</summary>
[Alias("rehome.IPresenceObserver")]
public interface IPresenceObserver : IGrainObserver
{
    [Alias("PresenceChanged"), OneWay]
    Task PresenceChanged(PresenceSnapshot snapshot);
}
