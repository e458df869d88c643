using Microsoft.Extensions.Options;
using Orleans.Dashboard;

namespace ReHome.Silo;

/// <summary>Adds the Orleans dashboard to a silo and maps its page; <see cref="DashboardSettings"/> says when.</summary>
public static partial class DashboardHosting
{
    /// <summary>True when this process should collect for and serve the dashboard.</summary>
    /// <param name="open">The embedded mode on loopback: served without a credential.</param>
    public static bool Wanted(IConfiguration configuration, bool open)
    {
        var settings = Settings(configuration);
        return settings.Enabled && (open || settings.HasPassword);
    }

    internal static void AddTo(ISiloBuilder silo, IConfiguration configuration, bool open)
    {
        if (Wanted(configuration, open))
        {
            var interval = Settings(configuration).SampleInterval;
            silo.AddDashboard(options => options.CounterUpdateIntervalMs = (int)interval.TotalMilliseconds);
        }
    }

    /// <summary>Serves the page at <see cref="DashboardSettings.Path"/>, behind HTTP Basic unless <paramref name="open"/> and no password is set.</summary>
    public static WebApplication MapReHomeDashboard(this WebApplication app, bool open)
    {
        var settings = app.Services.GetRequiredService<IOptions<DashboardSettings>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DashboardHosting).FullName!);
        if (!Wanted(app.Configuration, open))
        {
            LogOff(logger, settings.Enabled ? "no Dashboard:Password is set" : "Dashboard:Enabled is false");
            return app;
        }

        var page = app.MapOrleansDashboard(DashboardSettings.Path);
        if (settings.HasPassword)
        {
            page.AddEndpointFilter(new DashboardBasicAuth(settings.Username, settings.Password!));
        }
        else
        {
            page.AddEndpointFilter(LoopbackCallers.Only);
        }

        LogOn(logger, DashboardSettings.Path, settings.HasPassword ? "HTTP Basic" : "none (embedded, loopback)");
        return app;
    }

    internal static void AddSettings(IServiceCollection services) =>
        services.AddOptions<DashboardSettings>().BindConfiguration(DashboardSettings.Section).ValidateDataAnnotations()
            .Validate(s => !s.HasPassword || s.Password!.Length >= 12, "Dashboard:Password must be at least 12 characters (or unset).")
            .ValidateOnStart();

    private static DashboardSettings Settings(IConfiguration configuration) =>
        configuration.GetSection(DashboardSettings.Section).Get<DashboardSettings>() ?? new DashboardSettings();

    [LoggerMessage(Level = LogLevel.Information, Message = "Orleans dashboard at {Path}; credential: {Credential}.")]
    private static partial void LogOn(ILogger logger, string path, string credential);

    [LoggerMessage(Level = LogLevel.Information, Message = "Orleans dashboard off: {Why}.")]
    private static partial void LogOff(ILogger logger, string why);
}
