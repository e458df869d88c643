using System.Globalization;
using Microsoft.Extensions.Options;
using ReHome.Gateway.Quotas;

namespace ReHome.Gateway.Pusher;

/// <summary>
/// The token page's requests per client address: a token bucket each (<see cref="PusherOptions.TokenPageRequestsPerSecond"/>,
/// bursts of <see cref="PusherOptions.TokenPageBurst"/>), as the hub limits calls per connection. By address, because
/// the socket a request speaks for is only known once its body is read; every request counts, refused ones too.
/// </summary>
internal sealed class TokenPageRate
{
    private readonly PusherOptions _options;
    private readonly KeyedTokenBuckets _requests;

    public TokenPageRate(IOptions<PusherOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _requests = new KeyedTokenBuckets(_options.TokenPageRequestsPerSecond, _options.TokenPageBurst, time);
    }

    /// <summary>The endpoint filter: the gateway's one <see cref="TokenPageRate"/> (a filter type would get an instance per request).</summary>
    public static ValueTask<object?> Filter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        http.RequestServices.GetRequiredService<TokenPageRate>().Take(http.Connection.RemoteIpAddress?.ToString() ?? "");
        return next(context);
    }

    /// <summary>Counts a request from the address.</summary>
    /// <exception cref="RateLimitedException">The address is over its rate; nothing else is done.</exception>
    public void Take(string address)
    {
        if (!_requests.TryTake(address, out var retryAfter))
        {
            throw new RateLimitedException(
                string.Create(CultureInfo.InvariantCulture, $"more than {_options.TokenPageRequestsPerSecond} token page requests a second from one address"),
                retryAfter);
        }
    }
}
