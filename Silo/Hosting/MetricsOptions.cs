namespace ReHome.Silo;

/// <summary>
/// Who may read <c>/metrics</c>, from the <c>Metrics</c> section. By default it is served on the main port to anyone
/// who reaches it; a public-facing gateway should set one or both of these.
/// </summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>
    /// A URL of its own to serve <c>/metrics</c> on, such as <c>http://0.0.0.0:9464</c> (a port the load balancer
    /// does not forward). The process listens there too; <c>/metrics</c> is then served only on that port, and
    /// nothing but <c>/metrics</c> and <c>/health</c> is served there.
    /// </summary>
    public string? Url { get; set; }

    /// <summary>A key Prometheus sends as <c>Authorization: Bearer &lt;key&gt;</c>; other scrapes get 401.</summary>
    public string? Key { get; set; }

    /// <summary>The port of <see cref="Url"/>, or null.</summary>
    public int? Port => Url is null ? null : PortOf(Url);

    /// <summary>The port of a URL as Kestrel reads it, whose host may be <c>+</c> or <c>*</c>.</summary>
    public static int PortOf(string url) => new Uri(url.Replace("://+", "://wildcard").Replace("://*", "://wildcard")).Port;
}
