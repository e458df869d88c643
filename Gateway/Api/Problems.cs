using Microsoft.AspNetCore.Http.HttpResults;

namespace ReHome.Gateway.Api;

/// <summary>
/// Every refusal over HTTP as RFC 9457 problem details with a stable <c>code</c> (and <c>field</c> for bad input):
/// the cluster's typed errors (400 names the field, 404 an unknown stream or thread, 409 a stream that is ended,
/// cancelled or contradicted, 429 a rate limit with Retry-After, 503 storage or a cluster that did not answer), and
/// the framework's own answers (401, 403, 404, 405, 413, 415, 429, 500), which get a code by status.
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
                extensions["retryAfterSeconds"] = RetryAfter(http, limited.RetryAfter);
                break;
            case StorageUnavailableException:
                extensions["retryAfterSeconds"] = RetryAfter(http, UnavailableRetryAfter);
                break;
        }

        return Problem(status, error.Code, error.Message, extensions);
    }

    /// <summary>
    /// How long a client should wait before retrying after a 503: a failover is declared within about 2 s, and a
    /// Redis client reconnects within a second, so a second is the first retry worth making.
    /// </summary>
    private static readonly TimeSpan UnavailableRetryAfter = TimeSpan.FromSeconds(1);

    /// <summary>The 503 for a call the cluster did not answer, which may or may not have taken effect.</summary>
    public static ProblemHttpResult Unavailable(HttpContext http) => Problem(
        StatusCodes.Status503ServiceUnavailable, "unavailable",
        "The cluster did not answer in time, so the request may or may not have taken effect. Retry shortly: "
            + "an append with its sequence, an end, a cancel and a thread's configuration are safe to repeat.",
        new Dictionary<string, object?> { ["code"] = "unavailable", ["retryAfterSeconds"] = RetryAfter(http, UnavailableRetryAfter) });

    public static ProblemHttpResult Invalid(string field, string detail, HttpContext http) =>
        From(new InvalidRequestException(field, detail), http);

    /// <summary>A body in a format the endpoint does not read: 415, naming <c>Content-Type</c> as the field to fix.</summary>
    public static ProblemHttpResult UnsupportedMediaType(string detail) =>
        Problem(StatusCodes.Status415UnsupportedMediaType, CodeFor(StatusCodes.Status415UnsupportedMediaType), detail,
            new Dictionary<string, object?> { ["code"] = CodeFor(StatusCodes.Status415UnsupportedMediaType), ["field"] = "Content-Type" });

    /// <summary>Writes a refusal from outside an endpoint (middleware, the rate limiter).</summary>
    public static Task Write(HttpContext http, int status, string code, string detail, string? field = null, TimeSpan? retryAfter = null)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = code };
        if (field is not null)
        {
            extensions["field"] = field;
        }

        if (retryAfter is { } wait)
        {
            extensions["retryAfterSeconds"] = RetryAfter(http, wait);
        }

        return Problem(status, code, detail, extensions).ExecuteAsync(http);
    }

    /// <summary>
    /// Gives a problem the framework wrote (an empty 401 or 404 through the status code pages, an unhandled
    /// exception) its <c>code</c>, and a body that could not be read its <c>field</c>.
    /// </summary>
    public static void Complete(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Extensions.ContainsKey("code"))
        {
            return;
        }

        var code = CodeFor(problem.Status ?? StatusCodes.Status500InternalServerError);
        problem.Type = "urn:rehome:error:" + code;
        problem.Extensions["code"] = code;
        switch (code)
        {
            case "invalid_request":
                problem.Detail ??= "The request body is missing or is not valid JSON for this endpoint.";
                problem.Extensions["field"] = "body";
                break;
            case "unsupported_media_type":
                problem.Detail ??= "Send the body as JSON, with Content-Type: application/json.";
                problem.Extensions["field"] = "Content-Type";
                break;
        }
    }

    public static string CodeFor(int status) => status switch
    {
        400 => "invalid_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        429 => "rate_limited",
        503 => "unavailable",
        >= 500 => "internal_error",
        _ => "error",
    };

    private static ProblemHttpResult Problem(int status, string code, string detail, Dictionary<string, object?> extensions) =>
        TypedResults.Problem(detail: detail, statusCode: status, type: "urn:rehome:error:" + code, extensions: extensions);

    private static int RetryAfter(HttpContext http, TimeSpan wait)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return seconds;
    }
}
