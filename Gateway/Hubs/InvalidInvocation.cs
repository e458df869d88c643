namespace ReHome.Gateway.Hubs;

/// <summary>
/// Stands in for the arguments of a hub call that could not be bound (wrong count or types, an unknown method), so
/// the call reaches the hub filters and is refused as <c>invalid_request</c> like every other refusal, instead of
/// SignalR's bare "Failed to invoke". See <see cref="ArgumentCheckingProtocol"/>.
/// </summary>
internal sealed record InvalidInvocation(string Method, string Reason);
