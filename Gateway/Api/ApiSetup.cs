using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Json;
using ReHome.Gateway.Auth;

namespace ReHome.Gateway.Api;

/// <summary>What the HTTP side needs: strict JSON, problem details for every refusal, and the per-key request rate.</summary>
internal static class ApiSetup
{
    public static WebApplicationBuilder AddHttpApi(this WebApplicationBuilder builder)
    {
        builder.Services.ConfigureHttpJsonOptions(o => Strict(o.SerializerOptions));
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddExceptionHandler<BadRequestHandler>();
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.Complete);

        builder.Services.AddSingleton<ProducerRate>();
        return builder;
    }

    /// <summary>Puts the endpoints under the producer rate (<see cref="UseProducerRate"/>).</summary>
    public static TBuilder RequireProducerRate<TBuilder>(this TBuilder endpoints) where TBuilder : IEndpointConventionBuilder =>
        endpoints.WithMetadata(ProducerRate.Applies);

    /// <summary>
    /// Counts each request to an endpoint under the producer rate against its service key; over the rate, a 429
    /// <c>rate_limited</c> with the time to wait. After authorization, which names the key, and before the endpoint
    /// reads the body, so that every request counts, one whose body is refused too.
    /// </summary>
    public static IApplicationBuilder UseProducerRate(this IApplicationBuilder app) =>
        // Not async: a request that passes returns the rest of the pipeline's task, so a WebSocket held open for hours
        // does not also hold this middleware's state machine.
        app.Use((http, next) =>
        {
            var serviceKey = http.GetEndpoint()?.Metadata.GetMetadata<ProducerRate.Marker>() is null
                ? null
                : http.User.FindFirst(AuthSetup.ServiceKeyClaim)?.Value;
            return serviceKey is not null && !http.RequestServices.GetRequiredService<ProducerRate>().TryTake(serviceKey, out var retryAfter)
                ? Problems.Write(http, StatusCodes.Status429TooManyRequests, "rate_limited",
                    "Too many requests for this service key; retry after the time given.", retryAfter: retryAfter)
                : next(http);
        });

    /// <summary>
    /// One reading of every body: numbers must be JSON numbers (not "5"), a property may appear once (never "the
    /// last one wins"), a property the request does not have is refused (a misspelt <c>sequence</c> would otherwise
    /// turn a resend that is safe into one that appends the tokens again), and enums such as a stream's
    /// <c>reason</c> travel as their camelCase names.
    /// </summary>
    private static void Strict(JsonSerializerOptions json)
    {
        json.NumberHandling = JsonNumberHandling.Strict;
        json.AllowDuplicateProperties = false;
        json.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
    }
}
