using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Pusher;

/// <summary>Runs a PHP script with php-cli against the test gateway, as a Laravel worker would call it.</summary>
public static class PhpProcess
{
    public static Task<(int ExitCode, string Output, string Errors)> Run(PusherGatewayFixture gateway, params string[] arguments) =>
        Command.Run("php", arguments, new Dictionary<string, string?>
        {
            ["REHOME_URL"] = gateway.BaseAddress.ToString().TrimEnd('/'),
            ["REHOME_SERVICE_KEY"] = GatewayFixture.ServiceKey,
        });
}
