using System.Net.WebSockets;
using Microsoft.Extensions.Options;
using ReHome.Gateway.Fanout;
using ReHome.Gateway.Telemetry;

namespace ReHome.Gateway.Pusher;

/// <summary>
/// Pusher protocol 7 over WebSocket at <c>/app/{key}</c>, where Laravel Echo and pusher-js connect as they would to
/// Reverb or Pusher, and the HTTP token page beside it for catching up.
/// </summary>
internal static partial class PusherEndpoint
{
    public const string Path = "/app/{key}";
    private const string SupportedProtocol = "7";

    public static IEndpointRouteBuilder MapPusher(this IEndpointRouteBuilder app)
    {
        // The endpoint's own small pipeline, as SignalR builds one for its hubs: WebSocket upgrades, then the socket.
        var sockets = app.CreateApplicationBuilder();
        sockets.UseWebSockets();
        sockets.Run(Accept);
        app.Map(Path, sockets.Build()).WithDisplayName("Pusher protocol 7");
        app.MapPusherTokenPage();
        return app;
    }

    private static async Task Accept(HttpContext http)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            await http.Response.WriteAsync("This is a Pusher protocol 7 WebSocket endpoint; connect with pusher-js or Laravel Echo.");
            return;
        }

        var services = http.RequestServices;
        var options = services.GetRequiredService<IOptions<PusherOptions>>().Value;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PusherEndpoint).FullName!);
        using var socket = await http.WebSockets.AcceptWebSocketAsync();

        var key = (string?)http.GetRouteValue("key");
        var protocol = http.Request.Query["protocol"].ToString();
        var refusal = !options.HasApp || key != options.AppKey ? (PusherCloseCodes.AppDoesNotExist, $"App key {key} does not exist.")
            : !options.AllowsOrigin(http.Request.Headers.Origin) ? (PusherCloseCodes.OriginNotAllowed, "Origin not allowed")
            : protocol.Length == 0 ? (PusherCloseCodes.NoProtocolVersion, "No protocol version supplied: connect with ?protocol=7.")
            : protocol != SupportedProtocol ? (PusherCloseCodes.UnsupportedProtocol, $"Unsupported protocol version {protocol}: this server speaks 7.")
            : ((int Code, string Message)?)null;
        if (refusal is { } refused)
        {
            LogRefused(logger, refused.Code, refused.Message);
            await Refuse(socket, refused.Code, refused.Message, http.RequestAborted);
            return;
        }

        var connections = services.GetRequiredService<PusherConnections>();
        var address = http.Connection.RemoteIpAddress?.ToString() ?? "";
        if (connections.TryAdmit(address) is { } full)
        {
            LogRefused(logger, PusherCloseCodes.OverCapacity, full);
            await Refuse(socket, PusherCloseCodes.OverCapacity, full, http.RequestAborted);
            return;
        }

        try
        {
            await Serve(socket, options, connections, services, logger);
        }
        finally
        {
            connections.Release(address);
        }
    }

    private static async Task Serve(WebSocket socket, PusherOptions options, PusherConnections connections, IServiceProvider services, ILogger logger)
    {
        var socketIds = services.GetRequiredService<SocketIds>();
        PusherConnection connection;
        do
        {
            connection = new PusherConnection(socket, socketIds.Mint(), options, services.GetRequiredService<ThreadFanout>(),
                services.GetRequiredService<IGrainFactory>(), services.GetRequiredService<GatewayMetrics>(), services.GetRequiredService<TimeProvider>(), logger);
        }
        while (!connections.TryAdd(connection));

        try
        {
            await connection.Run(services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
        }
        finally
        {
            connections.Remove(connection);
        }
    }

    /// <summary>The protocol's refusal: a <c>pusher:error</c> with the code, then a close with the same code.</summary>
    private static async Task Refuse(WebSocket socket, int code, string message, CancellationToken aborted)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await socket.SendAsync(PusherFrames.Error(code, message), WebSocketMessageType.Text, true, timeout.Token);
            // A refusal may name the caller's key or protocol text; the pusher:error above carries all of it.
            await socket.CloseAsync((WebSocketCloseStatus)code, PusherCloseCodes.Reason(message, "Refused; the pusher:error message says why."), timeout.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The client left first.
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Pusher connection refused with {Code}: {Reason}")]
    private static partial void LogRefused(ILogger logger, int code, string reason);
}
