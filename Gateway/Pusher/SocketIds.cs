using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace ReHome.Gateway.Pusher;

/// <summary>
/// Mints socket ids that say when they were issued and that only a gateway holding the app secret can make:
/// <c>{unix seconds}.{9-digit nonce}{20-digit MAC}</c>. Pusher's and Laravel's format is <c>\d+\.\d+</c>, so
/// clients and <c>/broadcasting/auth</c> take them as usual.
/// </summary>
/// <remarks>
/// The HTTP token page accepts a channel signature only for a socket id that a gateway minted, and on a gateway
/// that does not hold that socket only within <see cref="PusherOptions.TokenPageSocketLifetime"/> of its issue:
/// a signature a client once obtained cannot be replayed forever, nor for a socket id chosen to look fresh.
/// </remarks>
internal sealed class SocketIds(IOptions<PusherOptions> options, TimeProvider time)
{
    private const int NonceDigits = 9;
    private const int MacDigits = 20;
    private readonly byte[] _key = HMACSHA256.HashData(
        Encoding.UTF8.GetBytes(options.Value.AppSecret ?? string.Empty), "rehome pusher socket id v1"u8);

    public string Mint()
    {
        var issued = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var nonce = RandomNumberGenerator.GetInt32(0, 1_000_000_000).ToString("D9", CultureInfo.InvariantCulture);
        return $"{issued}.{nonce}{Mac(issued, nonce)}";
    }

    /// <summary>When a gateway of this app minted <paramref name="socketId"/>, or null when none did.</summary>
    public DateTimeOffset? IssuedAt(string? socketId)
    {
        var dot = socketId?.IndexOf('.') ?? -1;
        if (dot <= 0 || socketId!.Length - dot - 1 != NonceDigits + MacDigits
            || !long.TryParse(socketId.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > 253_402_300_799)
        {
            return null;
        }

        var issued = socketId[..dot];
        var nonce = socketId.Substring(dot + 1, NonceDigits);
        var expected = Encoding.ASCII.GetBytes(Mac(issued, nonce));
        var given = Encoding.ASCII.GetBytes(socketId[(dot + 1 + NonceDigits)..]);
        return CryptographicOperations.FixedTimeEquals(expected, given) ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;
    }

    private string Mac(string issued, string nonce)
    {
        var mac = HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(issued + "." + nonce));
        return BinaryPrimitives.ReadUInt64BigEndian(mac).ToString("D20", CultureInfo.InvariantCulture);
    }
}
