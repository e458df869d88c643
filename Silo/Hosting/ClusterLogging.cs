using Microsoft.Extensions.Logging.Console;

namespace ReHome.Silo;

/// <summary>
/// Console logs an operator can line up across processes: in cluster mode (Redis configured) each entry is one line
/// that starts with its UTC time to the millisecond (<c>2026-12-03T14:05:09.123Z info: …</c>). Whatever
/// <c>Logging:Console</c> in configuration sets still wins.
/// </summary>
public static class ClusterLogging
{
    public const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";

    public static IHostApplicationBuilder AddTimestampedConsole(this IHostApplicationBuilder builder)
    {
        var console = builder.Configuration.GetSection("Logging:Console");
        var configured = console.GetSection("FormatterOptions");
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.FormatterName ??= ConsoleFormatterNames.Simple);
        builder.Services.Configure<SimpleConsoleFormatterOptions>(o =>
        {
            if (configured["TimestampFormat"] is null)
            {
                o.TimestampFormat = TimestampFormat;
            }

            if (configured["UseUtcTimestamp"] is null)
            {
                o.UseUtcTimestamp = true;
            }

            if (configured["SingleLine"] is null)
            {
                o.SingleLine = true;
            }
        });
        return builder;
    }
}
