using Microsoft.Extensions.Options;
using ReHome.Gateway.Quotas;

namespace ReHome.Gateway.Api;

/// <summary>
/// The producer API's requests per service key on this gateway: <see cref="QuotaOptions.ProducerRequestsPerSecond"/>,
/// bursts of <see cref="QuotaOptions.ProducerRequestBurst"/>. Applied by <see cref="ApiSetup.UseProducerRate"/>.
/// </summary>
internal sealed class ProducerRate(IOptions<QuotaOptions> options, TimeProvider time)
{
    /// <summary>The endpoint metadata that puts an endpoint under the rate.</summary>
    public static readonly Marker Applies = new();

    private readonly KeyedTokenBuckets _requests = new(options.Value.ProducerRequestsPerSecond, options.Value.ProducerRequestBurst, time);

    /// <summary>Takes one request from the key's bucket; false, and when to try again, when it is empty.</summary>
    public bool TryTake(string serviceKey, out TimeSpan retryAfter) => _requests.TryTake(serviceKey, out retryAfter);

    public sealed class Marker;
}
