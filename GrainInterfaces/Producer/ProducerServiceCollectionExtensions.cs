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

        services.AddMetrics();
        services.AddSingleton<ProducerMetrics>();
        services.AddSingleton<IStreamProducer, StreamProducer>();
        return services;
    }
}
