using Microsoft.AspNetCore.SignalR;

namespace ReHome.Gateway.Hubs;

/// <summary>
/// Turns the cluster's typed errors into hub errors whose message starts with the error code
/// (<c>stream_not_found: …</c>, <c>invalid_request: …</c>), so clients can tell a refusal from a fault. Other exceptions
/// stay hidden behind SignalR's generic message.
/// </summary>
/// <remarks>
/// It is also where hub failures are logged: a refusal is routine (Debug), anything else is an error. SignalR's own
/// dispatcher logs every one of them as an error with a stack trace, so its category is turned down in code (HubSetup).
/// </remarks>
internal sealed partial class ReHomeErrorFilter(ILogger<ReHomeErrorFilter> logger) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(context);
        }
        catch (HubException ex)
        {
            LogRefused(context.HubMethodName, ex.Message);
            throw;
        }
        catch (StorageUnavailableException ex)
        {
            // The hub's contract has one code for "try again"; the storage's own error stays in the log.
            LogUnavailable(ex, context.HubMethodName);
            throw new HubException("unavailable: storage did not answer; try again.");
        }
        catch (ReHomeException ex)
        {
            LogRefused(context.HubMethodName, ex.Code);
            throw new HubException($"{ex.Code}: {ex.Message}");
        }
        catch (Exception ex) when (ClusterUnavailable.Is(ex, context.Context.ConnectionAborted))
        {
            LogUnavailable(ex, context.HubMethodName);
            throw new HubException("unavailable: the cluster did not answer; try again.");
        }
        catch (Exception ex)
        {
            LogFailed(ex, context.HubMethodName);
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Hub method {Method} refused: {Reason}")]
    private partial void LogRefused(string method, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Hub method {Method} could not reach the cluster.")]
    private partial void LogUnavailable(Exception exception, string method);

    [LoggerMessage(Level = LogLevel.Error, Message = "Hub method {Method} failed.")]
    private partial void LogFailed(Exception exception, string method);
}
