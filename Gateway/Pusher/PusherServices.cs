using Microsoft.Extensions.Options;

namespace ReHome.Gateway.Pusher;

public static class PusherServices
{
    /// <summary>The Pusher-protocol endpoint's settings and connections; each connection joins the thread fan-out itself.</summary>
    public static IServiceCollection AddPusherEndpoint(this IServiceCollection services)
    {
        services.AddOptions<PusherOptions>().BindConfiguration(PusherOptions.Section)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PusherOptions>, PusherOptionsValidation>();
        services.AddSingleton<SocketIds>();
        services.AddSingleton<PusherConnections>();
        services.AddSingleton<TokenPageRate>();
        services.AddHostedService(sp => sp.GetRequiredService<PusherConnections>());
        return services;
    }
}
