using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using ReHome.Gateway.Auth;
using ReHome.Gateway.Quotas;

namespace ReHome.Gateway.Api;

/// <summary>What the HTTP side needs: strict JSON, problem details for every refusal, and the per-key request rate.</summary>
internal static class ApiSetup
{
    /// <summary>The producer API's rate-limiting policy: a token bucket per service key.</summary>
    public const string ProducerRatePolicy = "producer";

    public static WebApplicationBuilder AddHttpApi(this WebApplicationBuilder builder)
    {
        builder.Services.ConfigureHttpJsonOptions(o => Strict(o.SerializerOptions));
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddExceptionHandler<BadRequestHandler>();
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.Complete);

        builder.Services.AddRateLimiter(o =>
        {
            o.AddPolicy(ProducerRatePolicy, http =>
            {
                var quotas = http.RequestServices.GetRequiredService<IOptions<QuotaOptions>>().Value;
                return RateLimitPartition.GetTokenBucketLimiter(http.User.FindFirst(AuthSetup.ServiceKeyClaim)?.Value ?? "",
                    _ => TokenBuckets.Options(quotas.ProducerRequestsPerSecond, quotas.ProducerRequestBurst));
            });
            o.OnRejected = (context, _) => new ValueTask(Problems.Write(
                context.HttpContext,
                StatusCodes.Status429TooManyRequests,
                "rate_limited",
                "Too many requests for this service key; retry after the time given.",
                retryAfter: TokenBuckets.RetryAfter(context.Lease)));
        });
        return builder;
    }

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
