using Microsoft.Extensions.Options;

namespace ReHome.Gateway.Quotas;

/// <summary>
/// Refuses a hub negotiate with 429 <c>quota_exceeded</c> when the user already holds their connections on this
/// gateway. The hub refuses such a connection as it opens too (<see cref="HubQuotaFilter"/>), but a refusal at
/// negotiate is an HTTP error the SignalR clients back off from, rather than a connection that opens and closes.
/// </summary>
internal static class NegotiateQuota
{
    public static IApplicationBuilder UseNegotiateQuota(this IApplicationBuilder app) =>
        app.UseWhen(
            http => HttpMethods.IsPost(http.Request.Method) && http.Request.Path.StartsWithSegments(HubContract.Path + "/negotiate", StringComparison.OrdinalIgnoreCase),
            branch => branch.Use(async (http, next) =>
            {
                var limit = http.RequestServices.GetRequiredService<IOptions<QuotaOptions>>().Value.ConnectionsPerUser;
                var userId = http.User.FindFirst(Auth.BrowserTokens.SubjectClaim)?.Value;
                if (userId is not null && http.RequestServices.GetRequiredService<ConnectionCounts>().Count(userId) >= limit)
                {
                    await Api.Problems.Write(http, StatusCodes.Status429TooManyRequests, "quota_exceeded",
                        HubQuotaFilter.ConnectionsExceeded(limit).Message["quota_exceeded: ".Length..], retryAfter: TimeSpan.FromSeconds(5));
                    return;
                }

                await next(http);
            }));
}
