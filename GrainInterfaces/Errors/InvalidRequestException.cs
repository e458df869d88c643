namespace ReHome;

/// <summary>Bad input, naming the field. Nothing was stored.</summary>
[GenerateSerializer, Alias("rehome.InvalidRequestException")]
public sealed class InvalidRequestException(string field, string message)
    : ReHomeException("invalid_request", message)
{
    [Id(0)]
    public string Field { get; private set; } = field;
}
