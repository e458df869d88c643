namespace ReHome.Smoke;

/// <summary>
/// <c>ReHome.Smoke --mint-token USER [--hours N]</c>: prints a viewer token (JWT) for USER, signed with the gateways'
/// <c>Auth:SigningKey</c>, so a person can open the demo page of a cluster, which has no dev token endpoint.
/// </summary>
public static class MintToken
{
    public const string Usage = """
        Usage: ReHome.Smoke --mint-token USER [--hours N] [--signing-key KEY] [--issuer ISS] [--audience AUD]

        Prints a viewer token for USER, valid for N hours (default 1), signed with the gateways' Auth:SigningKey
        [env Auth__SigningKey]; issuer and audience default to the gateway's [env Auth__Issuer, Auth__Audience].
        """;

    public static int Run(IReadOnlyList<string> args, Func<string, string?> env, TextWriter output, TextWriter errors)
    {
        string? user = null;
        var named = new Dictionary<string, string>();
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Count && args[i] is "--hours" or "--signing-key" or "--issuer" or "--audience")
            {
                named[args[i][2..]] = args[++i];
            }
            else if (user is null && !args[i].StartsWith("--", StringComparison.Ordinal))
            {
                user = args[i];
            }
            else
            {
                return UsageError($"Unexpected argument '{args[i]}'.", errors);
            }
        }

        var key = named.GetValueOrDefault("signing-key") ?? env("Auth__SigningKey");
        if (string.IsNullOrEmpty(user))
        {
            return UsageError("USER is required.", errors);
        }

        if (string.IsNullOrEmpty(key))
        {
            return UsageError("--signing-key (or Auth__SigningKey) is required.", errors);
        }

        if (!double.TryParse(named.GetValueOrDefault("hours") ?? "1", System.Globalization.CultureInfo.InvariantCulture, out var hours) || hours is <= 0 or > 24 * 30)
        {
            return UsageError("--hours must be a number above 0 and at most 720.", errors);
        }

        output.WriteLine(ViewerToken.Sign(key, user, TimeSpan.FromHours(hours),
            named.GetValueOrDefault("issuer") ?? env("Auth__Issuer") ?? "rehome",
            named.GetValueOrDefault("audience") ?? env("Auth__Audience") ?? "rehome-gateway"));
        return 0;
    }

    private static int UsageError(string message, TextWriter errors)
    {
        errors.WriteLine(message);
        errors.WriteLine(Usage);
        return 2;
    }
}
