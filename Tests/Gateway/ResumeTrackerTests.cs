using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ReHome.Gateway.Hubs;
using ReHome.Gateway.Telemetry;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

public sealed class ResumeTrackerTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    [Fact]
    public void A_rejoin_within_the_window_is_a_resume_and_one_after_it_is_not()
    {
        var tracker = new ResumeTracker(new GatewayMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), _time);
        using var resumes = new CounterProbe(_services, "rehome.gateway.resumes");

        tracker.Departed("alice", "t1");
        tracker.Departed("bob", "t1");
        _time.Advance(TimeSpan.FromSeconds(30));
        tracker.Joined("alice", "t1");
        Assert.Equal(1, resumes.Total);

        _time.Advance(ResumeTracker.Window);
        tracker.Joined("bob", "t1");
        Assert.Equal(1, resumes.Total);
    }

    [Fact]
    public void Departures_are_forgotten_once_the_window_has_passed_however_many_came_at_once()
    {
        var tracker = new ResumeTracker(new GatewayMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), _time);
        using var resumes = new CounterProbe(_services, "rehome.gateway.resumes");

        // A load balancer's restart: every connection's threads at once.
        for (var i = 0; i < 30_000; i++)
        {
            tracker.Departed($"user-{i}", "t1");
        }

        Assert.Equal(30_000, tracker.Held);
        _time.Advance(ResumeTracker.Window + TimeSpan.FromSeconds(1));
        tracker.Departed("carol", "t2");

        Assert.Equal(1, tracker.Held);
        tracker.Joined("user-0", "t1");
        tracker.Joined("carol", "t2");
        Assert.Equal(1, resumes.Total);
    }

    public void Dispose() => _services.Dispose();
}
