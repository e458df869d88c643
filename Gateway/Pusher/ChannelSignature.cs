using System.Security.Cryptography;
using System.Text;

namespace ReHome.Gateway.Pusher;

/// <summary>
/// Pusher's channel authorization, as Laravel's Pusher broadcaster makes it (<c>Pusher::authorizeChannel</c>):
/// <c>auth = key + ":" + hex(HMAC-SHA256(secret, socket_id + ":" + channel_name))</c>.
/// </summary>
internal static class ChannelSignature
{
    public static string Sign(string key, string secret, string socketId, string channel)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(socketId + ":" + channel));
        return key + ":" + Convert.ToHexStringLower(mac);
    }

    /// <summary>True when <paramref name="auth"/> is this app's signature of the socket and channel (compared in constant time).</summary>
    public static bool IsValid(string? auth, string key, string secret, string socketId, string channel)
    {
        if (auth is null)
        {
            return false;
        }

        var expected = Encoding.UTF8.GetBytes(Sign(key, secret, socketId, channel));
        var given = Encoding.UTF8.GetBytes(auth);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }
}
