namespace ReHome;

/// <summary>
/// The request contradicts what the stream already holds: a start with another thread or run, or a
/// different text at a sequence number already used.
/// </summary>
[GenerateSerializer, Alias("rehome.StreamConflictException")]
public sealed class StreamConflictException(string message) : ReHomeException("stream_conflict", message);
