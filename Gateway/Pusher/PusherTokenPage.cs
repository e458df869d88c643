using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ReHome.Gateway.Api;

namespace ReHome.Gateway.Pusher;

/// <summary>
/// How an Echo client catches up, since pusher-js has no resume: the thread's streams and a stream's tokens after a
/// sequence, authorized by the same channel signature the client subscribed with (from the app's
/// <c>/broadcasting/auth</c>). The body is JSON or a form: <c>socket_id</c>, <c>channel_name</c>, <c>auth</c>.
/// </summary>
/// <remarks>
/// A signature names a socket, so the page takes it only while that socket is subscribed to the channel on this
/// gateway, or, on another gateway, within <see cref="PusherOptions.TokenPageSocketLifetime"/> of the socket's
/// opening, proven by the MAC inside the socket id (<see cref="SocketIds"/>). A stream is served only through the
/// channel of its own thread. Answers carry <c>Access-Control-Allow-Origin: *</c>: they need the signature, never a
/// cookie, so no other origin gains anything from reading them. They expose <c>Retry-After</c>, which the follower
/// waits for after a 429.
/// </remarks>
internal static class PusherTokenPage
{
    public static void MapPusherTokenPage(this IEndpointRouteBuilder app)
    {
        var page = app.MapGroup(PusherEndpoint.Path)
            .AddEndpointFilter<ReHomeProblemFilter>()
            .AddEndpointFilter(async (context, next) =>
            {
                context.HttpContext.Response.Headers.AccessControlAllowOrigin = "*";
                // A page's script may read a refusal's Retry-After only when the answer says so.
                context.HttpContext.Response.Headers.AccessControlExposeHeaders = "Retry-After";
                return await next(context);
            })
            .DisableAntiforgery()
            .WithTags("Pusher token page");
        page.MapPost("/streams", Streams).AddEndpointFilter(TokenPageRate.Filter);
        page.MapPost("/tokens", Tokens).AddEndpointFilter(TokenPageRate.Filter);
        page.MapMethods("/{page:regex(^(streams|tokens)$)}", [HttpMethods.Options], (HttpContext http) =>
        {
            http.Response.Headers.AccessControlAllowMethods = "POST";
            http.Response.Headers.AccessControlAllowHeaders = "Content-Type";
            http.Response.Headers.AccessControlMaxAge = "600";
            return TypedResults.NoContent();
        });
    }

    private static async Task<Results<Ok<ThreadStreamsPage>, ProblemHttpResult>> Streams(string key, HttpContext http, IGrainFactory grains)
    {
        var (request, problem) = await Authorize(key, http, needsStream: false);
        if (problem is not null)
        {
            return problem;
        }

        var streams = await grains.GetGrain<IThreadGrain>(request!.ThreadId).GetStreams();
        return TypedResults.Ok(new ThreadStreamsPage(request.ThreadId, [.. streams.Select(ThreadStream.From)]));
    }

    private static async Task<Results<Ok<TokenPageMessage>, ProblemHttpResult>> Tokens(string key, HttpContext http, IGrainFactory grains)
    {
        var (request, problem) = await Authorize(key, http, needsStream: true);
        if (problem is not null)
        {
            return problem;
        }

        var stream = grains.GetGrain<IStreamGrain>(request!.StreamId!);
        var info = await stream.GetInfo();
        if (info.ThreadId != request.ThreadId)
        {
            // The same answer as for a stream that does not exist: the signature says nothing about other threads.
            throw new StreamNotFoundException(request.StreamId!);
        }

        return TypedResults.Ok(TokenPageMessage.From(await stream.GetTokens(request.After)));
    }

    private static async Task<(PageRequest? Request, ProblemHttpResult? Problem)> Authorize(string key, HttpContext http, bool needsStream)
    {
        var services = http.RequestServices;
        var options = services.GetRequiredService<IOptions<PusherOptions>>().Value;
        if (!options.HasApp || key != options.AppKey)
        {
            return (null, Problem(StatusCodes.Status404NotFound, "app_not_found", $"App key {key} does not exist."));
        }

        if (!http.Request.HasFormContentType && !http.Request.HasJsonContentType())
        {
            return (null, Problems.UnsupportedMediaType("Send socket_id, channel_name and auth as JSON (Content-Type: application/json) or as a form."));
        }

        var (fields, unreadable) = await PageFields.Read(http);
        if (fields is null)
        {
            return (null, Problems.Invalid(unreadable, unreadable == "body"
                ? "Send socket_id, channel_name and auth as JSON or as a form."
                : $"{unreadable} could not be read: a value of the wrong type, out of range, or given twice.", http));
        }

        foreach (var (name, value) in new[] { ("socket_id", fields.SocketId), ("channel_name", fields.ChannelName), ("auth", fields.Auth) })
        {
            if (string.IsNullOrEmpty(value))
            {
                return (null, Problems.Invalid(name, $"{name} is required.", http));
            }
        }

        if (needsStream && !Ids.IsValid(fields.StreamId))
        {
            return (null, Problems.Invalid("stream_id", $"stream_id must be 1–{Ids.MaxLength} characters of A–Z, a–z, 0–9, '_' or '-'.", http));
        }

        if (fields.After is < 0 or > Sequences.Max)
        {
            return (null, Problems.Invalid("after", $"after must be 0–{Sequences.Max}.", http));
        }

        var threadId = ThreadChannelName.Parse(fields.ChannelName!, out var refusal, out var status);
        if (threadId is null)
        {
            return (null, status == 400
                ? Problems.Invalid("channel_name", refusal!, http)
                : Problem(StatusCodes.Status403Forbidden, "channel_refused", refusal!));
        }

        if (!ChannelSignature.IsValid(fields.Auth, options.AppKey!, options.AppSecret!, fields.SocketId!, fields.ChannelName!))
        {
            return (null, Problem(StatusCodes.Status401Unauthorized, "invalid_signature", "auth does not sign this socket_id and channel_name with this app's secret."));
        }

        if (!services.GetRequiredService<PusherConnections>().Holds(fields.SocketId!, fields.ChannelName!))
        {
            var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
            var issued = services.GetRequiredService<SocketIds>().IssuedAt(fields.SocketId);
            if (issued is null)
            {
                return (null, Problem(StatusCodes.Status401Unauthorized, "unknown_socket", "socket_id was not issued by this app's gateways."));
            }

            if (now - issued > options.TokenPageSocketLifetime || issued - now > TimeSpan.FromMinutes(1))
            {
                return (null, Problem(StatusCodes.Status401Unauthorized, "socket_expired",
                    "This socket's signature is too old for this gateway: reconnect (a new socket id), authorize again, and retry."));
            }

            // A socket id tells its second only (rounded down: older), and the gateway that minted it its own clock.
            if (await services.GetRequiredService<IGrainFactory>().GetGrain<IThreadGrain>(threadId).SinceAccessNarrowed() <= now - issued)
            {
                return (null, Problem(StatusCodes.Status401Unauthorized, "socket_expired",
                    "Access to this channel changed since this socket opened: reconnect (a new socket id), authorize again, and retry."));
            }
        }

        return (new PageRequest(threadId, fields.StreamId, fields.After ?? 0), null);
    }

    private static ProblemHttpResult Problem(int status, string code, string detail) => TypedResults.Problem(
        title: status switch { 401 => "Unauthorized", 403 => "Forbidden", _ => "Not found" },
        detail: detail,
        statusCode: status,
        type: "urn:rehome:error:" + code,
        extensions: new Dictionary<string, object?> { ["code"] = code });

    private sealed record PageRequest(string ThreadId, string? StreamId, long After);

    /// <summary>The answer of <c>/streams</c>: the thread's open streams first, then recent ones, newest first.</summary>
    public sealed record ThreadStreamsPage(string ThreadId, ThreadStream[] Streams);

    private sealed record PageFields(
        [property: JsonPropertyName("socket_id")] string? SocketId,
        [property: JsonPropertyName("channel_name")] string? ChannelName,
        [property: JsonPropertyName("auth")] string? Auth,
        [property: JsonPropertyName("stream_id")] string? StreamId,
        [property: JsonPropertyName("after")] long? After)
    {
        /// <summary>
        /// The fields from a JSON body or a form (a form needs no CORS preflight); when unreadable, null and the field
        /// at fault (<c>body</c> when it is the whole body).
        /// </summary>
        public static async Task<(PageFields? Fields, string Unreadable)> Read(HttpContext http)
        {
            try
            {
                if (http.Request.HasFormContentType)
                {
                    var form = await http.Request.ReadFormAsync(http.RequestAborted);
                    long? after = null;
                    if (form["after"].ToString() is { Length: > 0 } text)
                    {
                        if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
                        {
                            return (null, "after");
                        }

                        after = parsed;
                    }

                    return (new PageFields(form["socket_id"], form["channel_name"], form["auth"], form["stream_id"], after), "");
                }

                return (await http.Request.ReadFromJsonAsync<PageFields>(http.RequestAborted), "body");
            }
            catch (System.Text.Json.JsonException ex)
            {
                return (null, (ex.Path ?? "").TrimStart('$').TrimStart('.') is { Length: > 0 } path ? path : "body");
            }
            catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException)
            {
                return (null, "body");
            }
        }
    }
}
