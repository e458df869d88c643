<?php
/*
 * The channel authorization Laravel's Pusher broadcaster returns from /broadcasting/auth for a private channel:
 * PusherBroadcaster::validAuthenticationResponse() calls Pusher\Pusher::authorizeChannel($channel, $socketId),
 * which validates both names and answers {"auth": "<key>:<hex HMAC-SHA256 of "<socket_id>:<channel>" under the secret>"}.
 * Written out here because the tests install no Composer packages.
 */
declare(strict_types=1);

final class PusherChannelAuth
{
    public function __construct(private readonly string $key, private readonly string $secret)
    {
    }

    public static function fromEnvironment(): self
    {
        return new self((string)getenv('PUSHER_APP_KEY'), (string)getenv('PUSHER_APP_SECRET'));
    }

    public function authorizeChannel(string $channel, string $socketId): string
    {
        // Pusher::validate_channel and Pusher::validate_socket_id.
        if (preg_match('/\A[-a-zA-Z0-9_=@,.;]+\z/', $channel) !== 1) {
            throw new InvalidArgumentException('Invalid channel name ' . $channel);
        }

        if (preg_match('/\A\d+\.\d+\z/', $socketId) !== 1) {
            throw new InvalidArgumentException('Invalid socket ID ' . $socketId);
        }

        $signature = hash_hmac('sha256', $socketId . ':' . $channel, $this->secret, false);
        return json_encode(['auth' => $this->key . ':' . $signature], JSON_THROW_ON_ERROR);
    }
}
