using Microsoft.Extensions.Options;
using ReHome.Gateway.Fanout;

namespace ReHome.Gateway.Pusher;

public static class PusherServices
{
    /// <summary>The Pusher-protocol endpoint's settings, connections and its wiring into the thread fan-out.</summary>
    public static IServiceCollection AddPusherEndpoint(this IServiceCollection services)
    {
        services.AddOptions<PusherOptions>().BindConfiguration(PusherOptions.Section)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PusherOptions>, PusherOptionsValidation>();
        services.AddSingleton<SocketIds>();
        services.AddSingleton<PusherConnections>();
        services.AddHostedService(sp => sp.GetRequiredService<PusherConnections>());
        services.AddSingleton<PusherFeed>();
        services.AddSingleton<IThreadFeedTap>(sp => sp.GetRequiredService<PusherFeed>());
        services.AddSingleton<IThreadSubscriptions, FanoutThreadSubscriptions>();
        return services;
    }
}
