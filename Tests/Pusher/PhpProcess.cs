using System.Diagnostics;

namespace ReHome.Tests.Pusher;

/// <summary>Runs a PHP script with php-cli against the test gateway, as a Laravel worker would call it.</summary>
public static class PhpProcess
{
    public static async Task<(int ExitCode, string Output, string Errors)> Run(PusherGatewayFixture gateway, string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("php")
        {
            WorkingDirectory = Infrastructure.GatewayFixture.SolutionDirectory(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["REHOME_URL"] = gateway.BaseAddress.ToString().TrimEnd('/');
        start.Environment["REHOME_SERVICE_KEY"] = Infrastructure.GatewayFixture.ServiceKey;
        using var php = Process.Start(start) ?? throw new InvalidOperationException("php did not start.");
        var output = php.StandardOutput.ReadToEndAsync();
        var errors = php.StandardError.ReadToEndAsync();
        await php.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (php.ExitCode, await output, await errors);
    }
}
