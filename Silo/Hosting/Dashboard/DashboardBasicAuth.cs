using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace ReHome.Silo;

/// <summary>
/// HTTP Basic authentication for the dashboard's endpoints: a browser asks for the credentials once and sends them
/// with the page's API calls. Compared in constant time; refused with 401 and a challenge.
/// </summary>
internal sealed class DashboardBasicAuth(string username, string password) : IEndpointFilter
{
    /// <summary>Longer is no credential of ours; the bound keeps the decode buffer on the stack small.</summary>
    private const int MaxCredential = 1024;

    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes($"{username}:{password}"));

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (Matches(context.HttpContext.Request.Headers.Authorization))
        {
            return next(context);
        }

        context.HttpContext.Response.Headers.WWWAuthenticate = "Basic realm=\"Orleans dashboard\", charset=\"UTF-8\"";
        return ValueTask.FromResult<object?>(Results.Unauthorized());
    }

    private bool Matches(string? header)
    {
        if (!AuthenticationHeaderValue.TryParse(header, out var value)
            || !"Basic".Equals(value.Scheme, StringComparison.OrdinalIgnoreCase) || value.Parameter is not { Length: <= MaxCredential })
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[value.Parameter.Length];
        if (!Convert.TryFromBase64String(value.Parameter, decoded, out var length))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(decoded[..length]), _expected);
    }
}
