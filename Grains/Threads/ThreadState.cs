namespace ReHome.Grains;

[GenerateSerializer, Alias("rehome.ThreadState")]
public sealed class ThreadState
{
    /// <summary>Null until a backend configures the thread.</summary>
    [Id(0)] public ThreadAccess? Access { get; set; }

    /// <summary>Open streams and the most recent ended ones, in start order.</summary>
    [Id(1)] public List<ThreadStreamEntry> Streams { get; set; } = [];

    /// <summary>Last configure, stream start or stream end; the thread is deleted <c>ThreadRetention</c> after it. Unset in states stored before expiry existed.</summary>
    [Id(2)] public DateTimeOffset LastActivityAt { get; set; }

    /// <summary>The last configure that took someone's access away; null while no one has lost it.</summary>
    [Id(3)] public DateTimeOffset? AccessNarrowedAt { get; set; }
}

[GenerateSerializer, Alias("rehome.ThreadStreamEntry")]
public sealed class ThreadStreamEntry
{
    [Id(0)] public string StreamId { get; set; } = "";
    [Id(1)] public string RunId { get; set; } = "";
    [Id(2)] public DateTimeOffset StartedAt { get; set; }
    [Id(3)] public bool Ended { get; set; }

    /// <summary>What the stream said it is when it ended; null while open, and for streams that ended before this existed.</summary>
    [Id(4)] public StreamInfo? Final { get; set; }
}
