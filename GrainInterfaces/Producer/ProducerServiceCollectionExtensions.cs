using Microsoft.Extensions.DependencyInjection;
using ReHome.Producer;

namespace ReHome;

public static class ProducerServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IStreamProducer"/>. The host must also be an Orleans client of the cluster
    /// (<c>UseOrleansClient</c>) or a silo.
    /// </summary>
    public static IServiceCollection AddReHomeProducer(this IServiceCollection services, Action<StreamProducerOptions>? configure = null)
    {
        var options = services.AddOptions<StreamProducerOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        // Checked when the producer is first resolved: a batch of none would never send, a negative one kill the sender.
        options.Validate(o => o.MaxBatchTokens >= 1, "StreamProducerOptions.MaxBatchTokens must be 1 or more.")
            .Validate(o => o.RetryTimeout > TimeSpan.Zero && o.AttemptTimeout > TimeSpan.Zero,
                "StreamProducerOptions.RetryTimeout and AttemptTimeout must be positive.")
            .Validate(o => o.FirstRetryDelay > TimeSpan.Zero && o.FirstRetryDelay <= o.MaxRetryDelay,
                "StreamProducerOptions.FirstRetryDelay must be positive and at most MaxRetryDelay.");

        services.AddMetrics();
        services.AddSingleton<ProducerMetrics>();
        services.AddSingleton<IStreamProducer, StreamProducer>();
        return services;
    }
}
