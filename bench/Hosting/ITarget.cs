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

    /// <summary>The process that holds viewer connections.</summary>
    ChildProcess ConnectionHost { get; }

    Task<Load.IProducerDriver> CreateProducer(ProducerKind kind);
}

/// <summary>How ReHome runs (<c>--mode</c>).</summary>
internal enum ReHomeMode
{
    /// <summary>redis + a silo + a gateway that is an Orleans client of it.</summary>
    Cluster,

    /// <summary>One gateway process hosting its silo in memory, no Redis.</summary>
    Embedded,

    /// <summary>redis + one gateway process that is also a silo of the Redis cluster (<c>Gateway__HostSilo</c>).</summary>
    CoHosted,
}

internal enum ProducerKind
{
    Sdk,
    Http,
}
