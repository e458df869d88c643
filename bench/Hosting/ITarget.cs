namespace ReHome.Bench.Hosting;

/// <summary>A system under test, running as real processes on loopback: ReHome (silo + gateway, or embedded) or the baseline.</summary>
internal interface ITarget : IAsyncDisposable
{
    /// <summary><c>rehome</c> or <c>baseline</c>.</summary>
    string Name { get; }

    string HubUrl { get; }

    /// <summary>The server-side processes whose CPU and memory are reported.</summary>
    IReadOnlyList<ChildProcess> Processes { get; }

    /// <summary>The process that holds open streams (the silo, or the one process in embedded mode and for the baseline).</summary>
    ChildProcess StreamHost { get; }

    /// <summary>The process that holds viewer connections (the first of <see cref="ConnectionHosts"/>).</summary>
    ChildProcess ConnectionHost { get; }

    /// <summary>Every process that takes viewer connections: one, or each co-hosted node (<c>--silos</c>).</summary>
    IReadOnlyList<ChildProcess> ConnectionHosts { get; }

    Task<Load.IProducerDriver> CreateProducer(ProducerKind kind);
}

/// <summary>How ReHome runs (<c>--mode</c>).</summary>
internal enum ReHomeMode
{
    /// <summary>redis + a silo (or <c>--silos</c>) + a gateway that is an Orleans client of them.</summary>
    Cluster,

    /// <summary>One gateway process hosting its silo in memory, no Redis.</summary>
    Embedded,

    /// <summary>redis + gateway processes that are also silos of the Redis cluster (<c>Gateway__HostSilo</c>), one or <c>--silos</c>.</summary>
    CoHosted,
}

internal enum ProducerKind
{
    Sdk,
    Http,
}
