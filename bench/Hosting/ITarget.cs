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

internal enum ProducerKind
{
    Sdk,
    Http,
}
