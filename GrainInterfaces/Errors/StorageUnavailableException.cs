namespace ReHome;

/// <summary>A write that must be durable before the call returns (start, end, cancel) could not be stored.</summary>
[GenerateSerializer, Alias("rehome.StorageUnavailableException")]
public sealed class StorageUnavailableException(string message, Exception? inner)
    : ReHomeException("storage_unavailable", message + (inner is null ? "" : $" ({inner.GetType().Name}: {inner.Message})"));
