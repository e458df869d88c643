namespace ReHome.Gateway.Api;

/// <summary>Turns a <see cref="ReHomeException"/> thrown by a handler into its problem details.</summary>
internal sealed class ReHomeProblemFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (ReHomeException error)
        {
            return Problems.From(error, context.HttpContext);
        }
        catch (Exception error) when (ClusterUnavailable.Is(error, context.HttpContext.RequestAborted))
        {
            // A silo or its storage did not answer (a failover, a Redis outage). A call that timed out may still have
            // been carried out, so the answer does not claim that nothing changed.
            return Problems.Unavailable(context.HttpContext);
        }
    }
}
