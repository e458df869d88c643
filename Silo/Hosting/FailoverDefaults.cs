using Orleans.Configuration;

namespace ReHome.Silo;

/// <summary>
/// How fast a silo finds out that another one died, and how long it waits for a call that will never be answered.
/// The trade-offs are in deploy/README.md ("Failure detection"); each can be overridden by configuration.
/// </summary>
public static class FailoverDefaults
{
    public static IHostApplicationBuilder AddFailoverDefaults(this IHostApplicationBuilder builder)
    {
        // Faster failure detection than Orleans' defaults (5 s probes, 3 misses). On a healthy network probes run
        // every MinProbeTimeout (half of ProbeTimeout), and a killed process refuses them at once: one failed direct
        // probe, then one failed indirect probe through another silo, declare it dead, in about 0.7–1.3 s. A silo that
        // is alive but stalled keeps its open connections, and Orleans suppresses votes against a silo whose
        // connection carried a message within MaxProbeTimeout (4 × ProbeTimeout) × NumMissedProbesLimit, so only a
        // stall longer than about 8 s gets it declared dead. Overridable under "Membership".
        builder.Services.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(1);
            o.NumMissedProbesLimit = 2;
        });
        builder.Services.Configure<ClusterMembershipOptions>(builder.Configuration.GetSection("Membership"));

        // A silo's call whose message died with another silo (a stream delivery to a gateway routed through it, say)
        // is never answered, and Orleans waits 30 s by default: that gateway's deliveries of the thread stop for that
        // long. Every call between grains takes milliseconds; the slowest wait on a Redis write, whose client gives up
        // after 5 s. Overridable under "Messaging".
        builder.Services.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
        builder.Services.Configure<SiloMessagingOptions>(builder.Configuration.GetSection("Messaging"));
        return builder;
    }
}
