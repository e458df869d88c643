namespace ReHome.Grains;

/// <summary>Names of the grain storage providers the silo must register.</summary>
public static class StorageNames
{
    /// <summary>Stream, thread and run state.</summary>
    public const string Grains = "rehome";

    /// <summary>Tombstones of expired streams (<see cref="StreamTombstone"/>); its entries expire by themselves.</summary>
    public const string Tombstones = "rehome-tombstones";
}
