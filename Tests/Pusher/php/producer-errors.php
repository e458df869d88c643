<?php
/*
 * Drives examples/laravel's StreamingService into each refusal and prints, as JSON, which exception class and
 * code each one became. Run by Tests/Pusher/PhpProducerTests with REHOME_URL and REHOME_SERVICE_KEY set.
 */
declare(strict_types=1);

spl_autoload_register(function (string $class): void {
    if (str_starts_with($class, 'App\\')) {
        require __DIR__ . '/../../../examples/laravel/app/' . str_replace('\\', '/', substr($class, 4)) . '.php';
    }
});

use App\Services\ReHome\Exceptions\ReHomeException;
use App\Services\ReHome\StreamingService;

$url = getenv('REHOME_URL');
$rehome = new StreamingService($url, getenv('REHOME_SERVICE_KEY'));
$threadId = 'php-' . bin2hex(random_bytes(6));
$rehome->configureThread($threadId, 'alice');

function outcome(callable $call): array
{
    try {
        return ['returned' => $call()];
    } catch (ReHomeException $e) {
        return ['class' => (new ReflectionClass($e))->getShortName(), 'code' => $e->errorCode, 'status' => $e->status, 'field' => $e->problem['field'] ?? null];
    }
}

$ended = $rehome->startStream($threadId, 'run-ended');
$rehome->streamToken($ended, 'done');
$rehome->endStream($ended);

$cancelled = $rehome->startStream($threadId, 'run-cancelled');
$rehome->cancel($cancelled, 'user pressed stop');

$results = [
    'not_found' => outcome(fn () => (new StreamingService($url, getenv('REHOME_SERVICE_KEY')))->streamToken('no-such-stream-' . bin2hex(random_bytes(4)), 'x')),
    'after_end' => outcome(fn () => $rehome->streamToken($ended, 'late')),
    'after_cancel' => outcome(fn () => $rehome->streamToken($cancelled, 'late')),
    'too_long' => outcome(function () use ($rehome, $threadId) {
        $stream = $rehome->startStream($threadId, 'run-long');
        return $rehome->streamToken($stream, str_repeat('x', 1001));
    }),
    'bad_id' => outcome(fn () => $rehome->startStream($threadId, 'run with spaces')),
    'wrong_key' => outcome(fn () => (new StreamingService($url, 'not-a-service-key-000000'))->startStream($threadId, 'run-x')),
    'unreachable' => outcome(fn () => (new StreamingService('http://127.0.0.1:9', 'k', maxAttempts: 2, firstRetryDelaySeconds: 0.01))->startStream($threadId, 'run-y')),
    'numbering_continues' => outcome(function () use ($rehome, $threadId, $url) {
        $stream = $rehome->startStream($threadId, 'run-continued');
        $rehome->streamTokens($stream, ['a', 'b']);
        // Another process (a retried job) picks the stream up where the cluster has it.
        return (new StreamingService($url, getenv('REHOME_SERVICE_KEY')))->streamToken($stream, 'c');
    }),
    'answer' => outcome(function () use ($rehome, $threadId) {
        $stream = $rehome->streamAnswer($threadId, 'run-answer', (function () {
            yield 'Hello';
            yield ', world';
        })());
        return $rehome->tokens($stream)['fullResponse'];
    }),
    'failing_model' => outcome(function () use ($rehome, $threadId) {
        try {
            $rehome->streamAnswer($threadId, 'run-failing', (function () {
                yield 'partial';
                throw new RuntimeException('model timed out');
            })(), 'failing-' . bin2hex(random_bytes(4)));
        } catch (RuntimeException $e) {
            return $e->getMessage();
        }
    }),
];

echo json_encode($results, JSON_PRETTY_PRINT), "\n";
