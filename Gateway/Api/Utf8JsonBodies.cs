using Microsoft.Net.Http.Headers;

namespace ReHome.Gateway.Api;

/// <summary>
/// Refuses a JSON body declared in any charset but UTF-8, with 415 naming <c>Content-Type</c>, before anything reads
/// it. JSON between systems is UTF-8 (RFC 8259), and decoding another charset replaces what it cannot map ("café"
/// declared <c>us-ascii</c> became "caf??", a lone surrogate in UTF-16 became U+FFFD) and would store and broadcast
/// that instead of the text sent. UTF-8 spelt another way (<c>utf8</c>, <c>"UTF-8"</c>) is read as UTF-8: the
/// framework's JSON reader failed on those with a 500, as on charsets .NET does not know (<c>utf-7</c>).
/// </summary>
internal static class Utf8JsonBodies
{
    public static IApplicationBuilder UseUtf8JsonBodies(this IApplicationBuilder app) =>
        // Not async, like the producer rate: a WebSocket's request passes through without a state machine held open.
        app.Use((http, next) =>
        {
            if (MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var type) && IsJson(type) && type.Charset.HasValue)
            {
                var charset = HeaderUtilities.RemoveQuotes(type.Charset).ToString();
                if (!IsUtf8(charset))
                {
                    return Problems.Write(
                        http, StatusCodes.Status415UnsupportedMediaType, Problems.CodeFor(StatusCodes.Status415UnsupportedMediaType),
                        $"JSON is read as UTF-8 only; the body's charset '{charset}' is not. Send it as UTF-8, with no charset or charset=utf-8.",
                        "Content-Type");
                }

                http.Request.ContentType = $"{type.MediaType}; charset=utf-8";
            }

            return next(http);
        });

    private static bool IsJson(MediaTypeHeaderValue type) =>
        type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        || type.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase);

    private static bool IsUtf8(string charset) =>
        charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase);
}
