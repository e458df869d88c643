using System.ComponentModel.DataAnnotations;

namespace ReHome.Silo;

/// <summary>
/// Where a silo listens, from the <c>Silo</c> section. Cluster and service ids are Orleans' own
/// <c>Orleans:ClusterId</c> and <c>Orleans:ServiceId</c>; Redis is <c>Redis:ConnectionString</c>.
/// </summary>
public sealed class SiloSettings
{
    public const string Section = "Silo";

    [Range(1, 65535)]
    public int Port { get; set; } = 11111;

    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// The address other silos and clients reach this silo at. Default: loopback. <c>auto</c> takes this machine's
    /// own (<see cref="AdvertisedAddress.Choose"/>), for containers where each replica has its own address.
    /// </summary>
    public string? AdvertisedIP { get; set; }

    /// <summary>
    /// Running in Kubernetes (<c>Microsoft.Orleans.Hosting.Kubernetes</c>): the silo takes its name and address from
    /// its pod, and the cluster watches pods, so a deleted pod's silo is declared dead without waiting for probes.
    /// Needs Redis and the RBAC in deploy/kubernetes; ignores <see cref="AdvertisedIP"/>.
    /// </summary>
    public bool Kubernetes { get; set; }
}
