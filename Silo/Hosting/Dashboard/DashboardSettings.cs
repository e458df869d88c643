using System.ComponentModel.DataAnnotations;

namespace ReHome.Silo;

/// <summary>
/// The Orleans dashboard (<c>Microsoft.Orleans.Dashboard</c>), from the <c>Dashboard</c> section. It runs on every
/// silo that can serve it: in the embedded mode (on the gateway's loopback port, open), or wherever a
/// <see cref="Password"/> is set (HTTP Basic). Set the same values on every silo: each one collects its own grain
/// statistics and the page asks all of them.
/// </summary>
public sealed class DashboardSettings
{
    public const string Section = "Dashboard";

    /// <summary>Where the page is served, on the process's HTTP port.</summary>
    public const string Path = "/dashboard";

    /// <summary>False turns it off everywhere, including the embedded mode (no per-call profiling either).</summary>
    public bool Enabled { get; set; } = true;

    [Required, MinLength(1)]
    public string Username { get; set; } = "admin";

    /// <summary>Unset or empty: the dashboard is off in cluster mode. Set (12+ characters): every request needs these credentials.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// How often each silo samples its runtime statistics for the page (a management call through the silo), and how
    /// often the page's counters refresh. The dashboard's floor is one second.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(5);

    public bool HasPassword => !string.IsNullOrEmpty(Password);
}
