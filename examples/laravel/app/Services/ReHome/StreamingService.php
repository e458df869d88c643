<?php

declare(strict_types=1);

namespace App\Services\ReHome;

use App\Services\ReHome\Exceptions\InvalidRequestException;
use App\Services\ReHome\Exceptions\RateLimitedException;
use App\Services\ReHome\Exceptions\ReHomeException;
use App\Services\ReHome\Exceptions\SequenceGapException;
use App\Services\ReHome\Exceptions\StreamCancelledException;
use App\Services\ReHome\Exceptions\StreamConflictException;
use App\Services\ReHome\Exceptions\StreamEndedException;
use App\Services\ReHome\Exceptions\StreamInterruptedException;
use App\Services\ReHome\Exceptions\StreamNotFoundException;
use App\Services\ReHome\Exceptions\ThreadNotFoundException;
use App\Services\ReHome\Exceptions\UnauthorizedException;
use App\Services\ReHome\Exceptions\UnavailableException;
use JsonException;
use LogicException;

/**
 * The successor of the app's StreamingService: the same calls, over ReHome's HTTP producer API with a service key.
 *
 * Every token is sent with its sequence number, so a request retried after a timeout, a 503 or a 429 is never
 * numbered twice, and tokens the cluster had not stored when a silo crashed are resent under the same numbers.
 * Refusals are typed exceptions (Exceptions\*). Needs only PHP's curl extension: no Composer package.
 *
 * Use one instance per stream producer (a queued job), as the numbers it keeps are per process.
 */
final class StreamingService
{
    /** The most tokens one resend request carries; the gateway's own limit is Streams:MaxTokensPerAppend (1000). */
    private const MAX_RESEND_TOKENS = 256;

    /**
     * Per stream: the next number to send, tokens sent but not yet stored (resent after a crash), tokens whose
     * request ran out of retries (sent again, under the same numbers, before anything new), and whether it ended.
     *
     * @var array<string, array{next: int, held: array<int, string>, unsent: list<string>, ended: bool}>
     */
    private array $streams = [];

    /** One handle for every request, so its connection to the gateway is kept alive between tokens. */
    private ?\CurlHandle $curl = null;

    /**
     * @param string $baseUrl The gateway, e.g. http://rehome-gateway:8080
     * @param string $serviceKey One of the gateway's Auth:ServiceKeys, sent as X-Service-Key.
     * @param int $maxAttempts Tries per request when the gateway is unreachable, answers 502/503/504 or 429.
     */
    public function __construct(
        private readonly string $baseUrl,
        private readonly string $serviceKey,
        private readonly int $maxAttempts = 5,
        private readonly float $timeoutSeconds = 10.0,
        private readonly float $firstRetryDelaySeconds = 0.2,
    ) {
        if (!function_exists('curl_init')) {
            throw new LogicException('The ReHome StreamingService needs PHP\'s curl extension (Debian: apt-get install php-curl).');
        }

        if ($maxAttempts < 1) {
            throw new LogicException('maxAttempts must be 1 or more.');
        }
    }

    /** From config('services.rehome'): ['url' => ..., 'key' => ...]. */
    public static function fromConfig(array $config): self
    {
        return new self((string)$config['url'], (string)$config['key'], (int)($config['max_attempts'] ?? 5), (float)($config['timeout'] ?? 10.0));
    }

    /** Creates the thread or replaces who may watch it (hub viewers; Echo viewers are authorized by the app). */
    public function configureThread(string $threadId, string $ownerUserId, array $memberUserIds = [], ?string $workspaceId = null, ?string $projectId = null): void
    {
        $this->request('PUT', '/api/v1/threads/' . rawurlencode($threadId), [
            'workspaceId' => $workspaceId,
            'projectId' => $projectId,
            'ownerUserId' => $ownerUserId,
            'memberUserIds' => array_values($memberUserIds),
        ]);
    }

    /**
     * Starts a response stream and returns its id. The id is made here when none is given, so a retried start
     * is the same start: starting again with the same thread and run is a no-op.
     */
    public function startStream(string $threadId, string $runId, ?string $streamId = null, bool $ownId = false): string
    {
        // $ownId: the caller made $streamId for this answer (a job at dispatch), so no one else has streamed to it.
        $fresh = $streamId === null || $ownId;
        $streamId ??= bin2hex(random_bytes(16));
        $info = $this->request('POST', '/api/v1/streams', ['threadId' => $threadId, 'runId' => $runId, 'streamId' => $streamId]);
        // A start that finds the stream under way (a retried job) leaves it to stream(), which takes it over from
        // the stored head, and refuses if a silo failure interrupted it. An id made just now is no one else's: a
        // retried start that finds it interrupted at 0 (its silo died after storing it) has nothing to take over.
        $interrupted = ($info['interrupted'] ?? false) && !$fresh;
        if (!isset($this->streams[$streamId]) && (int)$info['lastSequence'] === 0 && !$interrupted) {
            $this->streams[$streamId] = ['next' => 1, 'held' => [], 'unsent' => [], 'ended' => false];
        }

        return $streamId;
    }

    /** Appends one token; returns its sequence number (1, 2, 3, ...). */
    public function streamToken(string $streamId, string $token): int
    {
        return $this->streamTokens($streamId, [$token]);
    }

    /**
     * Appends tokens in one request; returns the last one's sequence number.
     *
     * When a request runs out of retries (UnavailableException, RateLimitedException), its tokens keep their
     * numbers: the next call sends them again first, so the answer never gets other text at those numbers.
     *
     * @param list<string> $tokens
     */
    public function streamTokens(string $streamId, array $tokens): int
    {
        $stream = &$this->stream($streamId);
        if ($tokens === [] && $stream['unsent'] === []) {
            throw new InvalidRequestException('tokens must not be empty.', 'invalid_request', 0, ['field' => 'tokens']);
        }

        $batch = [...$stream['unsent'], ...array_values($tokens)];
        try {
            $this->append($streamId, $stream['next'], $batch);
        } catch (UnavailableException | RateLimitedException $notKnownToArrive) {
            $stream['unsent'] = $batch;
            throw $notKnownToArrive;
        }

        $stream['next'] += count($batch);
        $stream['unsent'] = [];
        return $stream['next'] - 1;
    }

    /**
     * Ends the stream: true the first time, false when it had already ended. Without $fullResponse the tokens
     * make the full text.
     */
    public function endStream(string $streamId, ?string $fullResponse = null): bool
    {
        $stream = &$this->stream($streamId);
        if ($stream['unsent'] !== []) {
            // Tokens whose request ran out of retries go first, so the end counts them.
            $this->streamTokens($streamId, []);
        }

        $body = ['fullResponse' => $fullResponse, 'lastSequence' => $stream['next'] - 1];
        $path = '/api/v1/streams/' . rawurlencode($streamId) . '/end';
        try {
            $ended = (bool)$this->request('POST', $path, $body, $retried)['ended'];
        } catch (SequenceGapException $gap) {
            // The stream lost tokens it had acknowledged (its silo died before storing them): send them again first.
            $this->resend($streamId, $gap, $stream['next'] - 1);
            $ended = (bool)$this->request('POST', $path, $body, $retried)['ended'];
        }

        // An end sent again after a 503, a 429 or a dropped connection hears "false" whether its first try got through
        // or something else (a user's stop) ended the stream first: the stored reason tells which.
        $ended = $ended || ($retried && !$stream['ended'] && ($this->endedAs($streamId) ?? ['completed'])[0] === 'completed');
        $stream['ended'] = true;
        $stream['held'] = [];
        return $ended;
    }

    /** Cancels the stream (the user pressed stop): true the first time, false when it had already ended. */
    public function cancel(string $streamId, string $reason): bool
    {
        $cancelled = (bool)$this->request('POST', '/api/v1/streams/' . rawurlencode($streamId) . '/cancel', ['reason' => $reason], $retried)['cancelled'];
        $known = !isset($this->streams[$streamId]) || !$this->streams[$streamId]['ended'];
        if (isset($this->streams[$streamId])) {
            $this->streams[$streamId]['ended'] = true;
        }

        // A viewer's stop is stored as cancelled too, with its own detail ("stopped by ..."): the detail tells them apart.
        return $cancelled || ($retried && $known && ($this->endedAs($streamId) ?? ['cancelled', $reason]) === ['cancelled', $reason]);
    }

    /**
     * Streams a model's answer: starts the stream, sends each token as the model yields it, ends with the full
     * text and returns the stream id. When the model fails, the stream is cancelled with the error and the error
     * rethrown; when the user stopped the stream, the model is abandoned and StreamCancelledException rethrown.
     *
     * @param iterable<string> $tokens
     */
    public function streamAnswer(string $threadId, string $runId, iterable $tokens, ?string $streamId = null): string
    {
        $streamId = $this->startStream($threadId, $runId, $streamId);
        $text = '';
        try {
            foreach ($tokens as $token) {
                $this->streamToken($streamId, $token);
                $text .= $token;
            }

            // Inside: an end that fails (a gap it cannot fill, the gateway gone) cancels too, rather than leave the
            // answer open until the idle timeout.
            $this->endStream($streamId, $text);
        } catch (StreamCancelledException $stopped) {
            throw $stopped;
        } catch (\Throwable $failed) {
            try {
                // At most 200 characters of the error (u: whole UTF-8 characters; no mbstring needed).
                $this->cancel($streamId, 'error: ' . preg_replace('/\A(.{0,200}).*\z/su', '$1', $failed->getMessage()));
            } catch (ReHomeException) {
                // The stream's idle timeout ends it as abandoned if even the cancel cannot get through.
            }

            throw $failed;
        }

        return $streamId;
    }

    /**
     * How the stream ended as stored: [reason ('completed', 'cancelled', 'abandoned') or null while open, detail], or
     * null when the gateway cannot say: the caller then counts its own retried request as the one that got through.
     *
     * @return array{0: ?string, 1: ?string}|null
     */
    private function endedAs(string $streamId): ?array
    {
        try {
            $info = $this->request('GET', '/api/v1/streams/' . rawurlencode($streamId));
        } catch (ReHomeException) {
            return null;
        }

        return [$info['reason'] ?? null, $info['detail'] ?? null];
    }

    /**
     * A stream's tokens after a sequence, to read it back.
     *
     * @return array{threadId: string, runId: string, streamId: string, firstSequence: int, tokens: list<string>, lastSequence: int, complete: bool, done: bool, fullResponse: ?string, reason: ?string, detail: ?string}
     */
    public function tokens(string $streamId, int $after = 0): array
    {
        return $this->request('GET', '/api/v1/streams/' . rawurlencode($streamId) . '/tokens?after=' . $after);
    }

    /** @return array{next: int, held: array<int, string>, ended: bool} */
    private function &stream(string $streamId): array
    {
        if (!isset($this->streams[$streamId])) {
            // A stream this process did not start (a retried job): continue after what the cluster holds, unless a
            // silo failure interrupted it: viewers may hold tokens past that point which this process does not have.
            $info = $this->request('GET', '/api/v1/streams/' . rawurlencode($streamId));
            if (($info['interrupted'] ?? false) && !$info['done']) {
                throw new StreamInterruptedException(
                    "Stream '{$streamId}' was interrupted by a silo failure after sequence {$info['lastSequence']}; only its first producer can go on, so cancel it.",
                    'stream_interrupted', 409, ['storedThrough' => $info['lastSequence']]);
            }

            $this->streams[$streamId] = ['next' => (int)$info['lastSequence'] + 1, 'held' => [], 'unsent' => [], 'ended' => (bool)$info['done']];
        }

        return $this->streams[$streamId];
    }

    /**
     * Sends tokens numbered from $first. Keeps each until the cluster says it is stored (durableThrough), so that
     * after a silo crash, when the stream answers sequence_gap, the lost ones are resent under their numbers.
     *
     * @param list<string> $tokens
     */
    private function append(string $streamId, int $first, array $tokens): void
    {
        $stream = &$this->streams[$streamId];
        foreach ($tokens as $i => $token) {
            $stream['held'][$first + $i] = $token;
        }

        try {
            try {
                $ack = $this->request('POST', $this->tokensPath($streamId), ['tokens' => $tokens, 'sequence' => $first]);
            } catch (SequenceGapException $gap) {
                if ($gap->expectedSequence() >= $first) {
                    throw $gap;
                }

                // This batch is held too: the resend puts back the lost tokens and sends it.
                $ack = $this->resend($streamId, $gap, $first + count($tokens) - 1);
            }
        } catch (\Throwable $failed) {
            foreach ($tokens as $i => $token) {
                unset($stream['held'][$first + $i]);
            }

            throw $failed;
        }

        $this->forgetStored($streamId, $ack);
    }

    /**
     * After sequence_gap: sends the held tokens from the one the stream expects through $through again, under their
     * numbers. A request the gateway refuses as too large (more than Streams:MaxTokensPerAppend or TokenBurst
     * tokens) is sent again in halves. Rethrows the gap when a lost token is no longer held.
     *
     * @return array<string, mixed> the last acknowledgement
     */
    private function resend(string $streamId, SequenceGapException $gap, int $through): array
    {
        $stream = &$this->streams[$streamId];
        $next = $gap->expectedSequence();
        $size = self::MAX_RESEND_TOKENS;
        $ack = [];
        while ($next <= $through) {
            $chunk = [];
            for ($sequence = $next; $sequence <= $through && count($chunk) < $size; $sequence++) {
                if (!isset($stream['held'][$sequence])) {
                    throw $gap;
                }

                $chunk[] = $stream['held'][$sequence];
            }

            try {
                $ack = $this->request('POST', $this->tokensPath($streamId), ['tokens' => $chunk, 'sequence' => $next]);
            } catch (InvalidRequestException $refused) {
                // Each token was accepted once, so it is the request's size.
                if (count($chunk) === 1) {
                    throw $refused;
                }

                $size = intdiv(count($chunk), 2);
                continue;
            }

            $next += count($chunk);
            $this->forgetStored($streamId, $ack);
        }

        return $ack;
    }

    /** @param array<string, mixed> $ack */
    private function forgetStored(string $streamId, array $ack): void
    {
        $stream = &$this->streams[$streamId];
        foreach (array_keys($stream['held']) as $sequence) {
            if ($sequence <= (int)$ack['durableThrough']) {
                unset($stream['held'][$sequence]);
            }
        }
    }

    private function tokensPath(string $streamId): string
    {
        return '/api/v1/streams/' . rawurlencode($streamId) . '/tokens';
    }

    /**
     * One API call, tried again while the gateway cannot be reached or answers 429, 502, 503 or 504. Every call
     * this class makes is safe to repeat: tokens carry their numbers, and starts carry their stream id.
     *
     * @param-out bool $retried
     * @return array<string, mixed>
     */
    private function request(string $method, string $path, ?array $body = null, ?bool &$retried = false): array
    {
        try {
            $json = $body === null ? null : json_encode($body, JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
        } catch (JsonException $e) {
            throw new InvalidRequestException('The request is not valid UTF-8 text: ' . $e->getMessage(), 'invalid_request', 0, ['field' => 'body'], $e);
        }

        $retried = false;
        for ($attempt = 1; ; $attempt++) {
            [$status, $headers, $text, $transportError] = $this->send($method, $path, $json);
            $decoded = $text === '' ? [] : json_decode($text, true);
            $decoded = is_array($decoded) ? $decoded : [];
            if ($transportError === null && $status >= 200 && $status < 300) {
                return $decoded;
            }

            $transient = $transportError !== null || in_array($status, [429, 502, 503, 504], true);
            if (!$transient || $attempt >= $this->maxAttempts) {
                throw $this->error($status, $decoded, $transportError);
            }

            // After a 429, Retry-After plus up to a quarter more, so that producers refused together do not all come
            // back at the same instant.
            $delay = $status === 429 && isset($headers['retry-after'])
                ? (float)$headers['retry-after'] * (1 + mt_rand() / mt_getrandmax() / 4)
                : min(5.0, $this->firstRetryDelaySeconds * 2 ** ($attempt - 1)) * (0.5 + mt_rand() / mt_getrandmax() / 2);
            usleep((int)($delay * 1_000_000));
            $retried = true;
        }
    }

    /** @return array{int, array<string, string>, string, ?string} status, headers (lower-case names), body, transport error */
    private function send(string $method, string $path, ?string $json): array
    {
        $headers = [];
        $curl = $this->curl ??= curl_init();
        curl_reset($curl);
        curl_setopt_array($curl, [
            CURLOPT_URL => rtrim($this->baseUrl, '/') . $path,
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_TIMEOUT_MS => (int)($this->timeoutSeconds * 1000),
            CURLOPT_CONNECTTIMEOUT_MS => (int)(min($this->timeoutSeconds, 5.0) * 1000),
            CURLOPT_HTTPHEADER => array_merge(
                ['X-Service-Key: ' . $this->serviceKey, 'Accept: application/json'],
                $json === null ? [] : ['Content-Type: application/json'],
            ),
            CURLOPT_HEADERFUNCTION => function ($curl, string $line) use (&$headers): int {
                $parts = explode(':', $line, 2);
                if (count($parts) === 2) {
                    $headers[strtolower(trim($parts[0]))] = trim($parts[1]);
                }

                return strlen($line);
            },
        ]);
        if ($json !== null) {
            curl_setopt($curl, CURLOPT_POSTFIELDS, $json);
        }

        $text = curl_exec($curl);
        $error = $text === false ? curl_error($curl) : null;
        $status = (int)curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        return [$status, $headers, $text === false ? '' : (string)$text, $error];
    }

    /** @param array<string, mixed> $problem */
    private function error(int $status, array $problem, ?string $transportError): ReHomeException
    {
        if ($transportError !== null) {
            return new UnavailableException('The ReHome gateway could not be reached: ' . $transportError, 'unavailable', 0);
        }

        $code = (string)($problem['code'] ?? match ($status) {
            401 => 'unauthorized',
            403 => 'forbidden',
            default => 'http_' . $status,
        });
        $message = (string)($problem['detail'] ?? $problem['title'] ?? ('The ReHome gateway answered ' . $status . '.'));
        $class = match ($code) {
            'invalid_request' => InvalidRequestException::class,
            'stream_not_found' => StreamNotFoundException::class,
            'thread_not_found' => ThreadNotFoundException::class,
            'stream_ended' => StreamEndedException::class,
            'stream_cancelled' => StreamCancelledException::class,
            'stream_conflict' => StreamConflictException::class,
            'sequence_gap' => SequenceGapException::class,
            'stream_interrupted' => StreamInterruptedException::class,
            'rate_limited' => RateLimitedException::class,
            'storage_unavailable', 'unavailable' => UnavailableException::class,
            default => match (true) {
                $status === 401 || $status === 403 => UnauthorizedException::class,
                $status >= 500 => UnavailableException::class,
                default => ReHomeException::class,
            },
        };

        return new $class($message, $code, $status, $problem);
    }
}
