using System.Security.Cryptography;
using System.Text;

namespace ReHome.Tests.Pusher;

/// <summary>Pusher's channel signature, written independently of the gateway's, for tests that speak the protocol by hand.</summary>
public static class TestSignatures
{
    public static string Auth(string socketId, string channel, string secret = PusherGatewayFixture.AppSecret) =>
        PusherGatewayFixture.AppKey + ":" + Convert.ToHexString(
            HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{socketId}:{channel}"))).ToLowerInvariant();

    public static string Channel(string threadId) => "private-agent.thread." + threadId;
}
