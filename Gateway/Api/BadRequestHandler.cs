using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;

namespace ReHome.Gateway.Api;

/// <summary>
/// A request the framework could not bind (<c>RouteHandlerOptions.ThrowOnBadRequest</c>): unreadable or ambiguous
/// JSON, a number sent as a string, a duplicate property, a query value of the wrong type. (A charset other than
/// UTF-8 never gets this far: <see cref="Utf8JsonBodies"/>.)
/// Answered as <c>invalid_request</c> naming the <c>field</c>: the JSON path, the parameter, or <c>body</c>. (A body
/// that is not JSON at all is answered 415 by the framework without an exception; <see cref="Problems.Complete"/> codes it.)
/// </summary>
internal sealed partial class BadRequestHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        if (http.Response.HasStarted)
        {
            return false;
        }

        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        var (field, detail) = bad.StatusCode switch
        {
            StatusCodes.Status400BadRequest => Describe(bad),
            StatusCodes.Status415UnsupportedMediaType => ("Content-Type", "Send the body as JSON, with Content-Type: application/json."),
            StatusCodes.Status413PayloadTooLarge => ("body", "The request body is too large."),
            _ => ("body", "The request could not be read."),
        };
        await Problems.Write(http, bad.StatusCode, Problems.CodeFor(bad.StatusCode), detail, field);
        return true;
    }

    private static (string Field, string Detail) Describe(BadHttpRequestException bad)
    {
        if (bad.InnerException is JsonException json)
        {
            var field = FieldOf(json.Path);
            var why = json.Message.Contains("uplicate", StringComparison.Ordinal) ? "it appears more than once"
                : json.Message.Contains("could not be mapped", StringComparison.Ordinal) ? "this request has no such property"
                : "it is not valid JSON of the expected type (numbers are JSON numbers, not strings; text is a string)";
            return (field, $"The body could not be read at '{field}': {why}.");
        }

        // "Failed to bind parameter \"long? after\" from \"x\"." / "Required parameter \"string userId\" was not provided …"
        return ParameterName().Match(bad.Message) is { Success: true } match
            ? (match.Groups["name"].Value, $"'{match.Groups["name"].Value}' is missing or has the wrong type.")
            : ("body", "The request body is missing or is not valid JSON for this endpoint.");
    }

    /// <summary><c>$.tokens[2]</c> → <c>tokens[2]</c>; the root or no path → <c>body</c>.</summary>
    private static string FieldOf(string? path)
    {
        var field = (path ?? "").TrimStart('$').TrimStart('.');
        return field.Length == 0 ? "body" : field;
    }

    [GeneratedRegex("parameter \"(?:[^\"]* )?(?<name>[A-Za-z_][A-Za-z0-9_]*)\"")]
    private static partial Regex ParameterName();
}
