namespace ReHome;

/// <summary>Why a stream is done. Serialized by name on the wire (<c>completed</c>, <c>cancelled</c>, <c>abandoned</c>).</summary>
[GenerateSerializer, Alias("rehome.StreamEndReason")]
public enum StreamEndReason
{
    /// <summary>The producer called End.</summary>
    Completed = 0,

    /// <summary>A server-side stop through Cancel.</summary>
    Cancelled = 1,

    /// <summary>No token arrived for the idle timeout.</summary>
    Abandoned = 2,
}
