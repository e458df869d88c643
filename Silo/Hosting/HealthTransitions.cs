using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ReHome.Silo;

/// <summary>
/// What a readiness check logs. ASP.NET Core's health check service logs every unhealthy answer as an error, so each
/// probe while a dependency is down added one, and so did every start, where a probe comes before the dependency has
/// been reached; <see cref="ServiceDefaults"/> turns it down. A check logs its changes instead: a warning when its
/// dependency stops answering, information when it answers again.
/// </summary>
/// <param name="quietUntilFirstAnswer">
/// True where not answering yet is how every start begins (the gateway's Orleans client connecting): until the first
/// answer, failures are debug. False where it is a fault from the start (Redis).
/// </param>
public sealed partial class HealthTransitions(ILogger logger, string dependency, bool quietUntilFirstAnswer)
{
    private enum State { Starting, Answering, Down }

    private readonly Lock _lock = new();
    private State _state;

    public HealthCheckResult Healthy(string description)
    {
        lock (_lock)
        {
            if (_state == State.Down)
            {
                LogAnswersAgain(logger, dependency, description);
            }

            _state = State.Answering;
        }

        return HealthCheckResult.Healthy(description);
    }

    public HealthCheckResult Unhealthy(string description, Exception? exception = null)
    {
        lock (_lock)
        {
            if (_state == State.Starting && quietUntilFirstAnswer)
            {
                LogNotYet(logger, dependency, description);
            }
            else if (_state != State.Down)
            {
                // Once per outage: the probes that follow fail for the same reason.
                LogDown(logger, exception, dependency, description);
                _state = State.Down;
            }
        }

        return HealthCheckResult.Unhealthy(description, exception);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Not ready yet: {Dependency}: {Description}")]
    private static partial void LogNotYet(ILogger logger, string dependency, string description);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not ready: {Dependency}: {Description}")]
    private static partial void LogDown(ILogger logger, Exception? exception, string dependency, string description);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ready again: {Dependency}: {Description}")]
    private static partial void LogAnswersAgain(ILogger logger, string dependency, string description);
}
