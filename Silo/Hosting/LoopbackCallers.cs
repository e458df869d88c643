using System.Net;

namespace ReHome.Silo;

/// <summary>Keeps an endpoint that needs no credential (the embedded mode's dev endpoints and dashboard) to this machine.</summary>
public static class LoopbackCallers
{
    /// <summary>
    /// An endpoint filter: a caller from any other address gets 404, as if the endpoint did not exist. The listener's
    /// settings already keep these endpoints to loopback; this holds even where a setting was missed.
    /// </summary>
    public static ValueTask<object?> Only(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        IsLoopback(context.HttpContext.Connection.RemoteIpAddress)
            ? next(context)
            : ValueTask.FromResult<object?>(Results.NotFound());

    private static bool IsLoopback(IPAddress? address) =>
        address is not null && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
}
