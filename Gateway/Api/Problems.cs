using Microsoft.AspNetCore.Http.HttpResults;

namespace ReHome.Gateway.Api;

/// <summary>
/// The cluster's typed errors as RFC 9457 problem details: 400 names the field, 404 an unknown stream or thread,
/// 409 a stream that is ended, cancelled or contradicted, 429 a rate limit (with Retry-After), 503 storage or a
/// cluster that did not answer.
/// The <c>code</c> extension is the error's stable code.
/// </summary>
internal static class Problems
{
    public static ProblemHttpResult From(ReHomeException error, HttpContext http)
    {
        var status = error switch
        {
            InvalidRequestException => StatusCodes.Status400BadRequest,
            StreamNotFoundException or ThreadNotFoundException => StatusCodes.Status404NotFound,
            RateLimitedException => StatusCodes.Status429TooManyRequests,
            StorageUnavailableException => StatusCodes.Status503ServiceUnavailable,
            _ => StatusCodes.Status409Conflict,
        };

        var extensions = new Dictionary<string, object?> { ["code"] = error.Code };
        switch (error)
        {
            case InvalidRequestException invalid:
                extensions["field"] = invalid.Field;
                break;
            case SequenceGapException gap:
                extensions["expectedSequence"] = gap.ExpectedSequence;
                break;
            case StreamInterruptedException interrupted:
                extensions["storedThrough"] = interrupted.StoredThrough;
                break;
            case RateLimitedException limited:
                var seconds = Math.Max(1, (int)Math.Ceiling(limited.RetryAfter.TotalSeconds));
                extensions["retryAfterSeconds"] = seconds;
                http.Response.Headers.RetryAfter = seconds.ToString();
                break;
        }

        return TypedResults.Problem(
            title: Title(status),
            detail: error.Message,
            statusCode: status,
            type: "urn:rehome:error:" + error.Code,
            extensions: extensions);
    }

    public static ProblemHttpResult Invalid(string field, string detail, HttpContext http) =>
        From(new InvalidRequestException(field, detail), http);

    private static string Title(int status) => status switch
    {
        400 => "Invalid request",
        404 => "Not found",
        409 => "Conflict",
        429 => "Too many requests",
        _ => "Service unavailable",
    };
}

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
        catch (Exception error) when (error is OrleansException or TimeoutException)
        {
            // A silo or its storage did not answer (a failover, a Redis outage): nothing was changed, try again.
            return TypedResults.Problem(
                title: "Service unavailable",
                detail: "The cluster could not complete the request right now; nothing was changed. Retry shortly.",
                statusCode: StatusCodes.Status503ServiceUnavailable,
                type: "urn:rehome:error:unavailable",
                extensions: new Dictionary<string, object?> { ["code"] = "unavailable" });
        }
    }
}
