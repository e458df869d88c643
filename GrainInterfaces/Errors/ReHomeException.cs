namespace ReHome;

/// <summary>
/// Base of every error the cluster raises on purpose. <see cref="Code"/> is stable and machine-readable
/// (<c>invalid_request</c>, <c>stream_ended</c>, …); the HTTP API and the hub pass it on unchanged.
/// </summary>
[GenerateSerializer, Alias("rehome.ReHomeException")]
public abstract class ReHomeException : Exception
{
    protected ReHomeException(string code, string message) : base(message) => Code = code;

    [Id(0)]
    public string Code { get; private set; }
}
