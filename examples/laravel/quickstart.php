<?php
// PHP walkthrough: stream an answer through ReHome with the StreamingService, then read it back.
//   php examples/laravel/quickstart.php [threadId]
// Needs php-cli with curl, and a gateway: dotnet run --project Gateway -- --Auth:ServiceKeys:0=quickstart-service-key-0123
declare(strict_types=1);

// A Laravel app autoloads App\ from app/ through Composer; this script does the same by hand.
spl_autoload_register(function (string $class): void {
    if (str_starts_with($class, 'App\\')) {
        require __DIR__ . '/app/' . str_replace('\\', '/', substr($class, 4)) . '.php';
    }
});

use App\Services\ReHome\StreamingService;

$rehome = new StreamingService(
    getenv('REHOME_URL') ?: 'http://localhost:8080',
    getenv('REHOME_SERVICE_KEY') ?: 'quickstart-service-key-0123',
);

$threadId = $argv[1] ?? 'quickstart-thread';
$rehome->configureThread($threadId, ownerUserId: 'alice');          // who may watch it through the hub

$streamId = $rehome->startStream($threadId, runId: 'run-' . bin2hex(random_bytes(4)));
$words = explode(' ', 'ReHome streams this answer to every viewer of the thread, one token at a time, in order, with no gaps.');
foreach ($words as $i => $word) {
    $sequence = $rehome->streamToken($streamId, ($i === 0 ? '' : ' ') . $word);   // 1, 2, 3, ...
}

echo "streamed {$sequence} tokens to stream {$streamId}\n";
echo 'first endStream: ' . var_export($rehome->endStream($streamId), true) . "\n";   // true
echo 'second endStream: ' . var_export($rehome->endStream($streamId), true) . "\n";  // false: already ended

$page = $rehome->tokens($streamId);
echo "read back: {$page['fullResponse']}\n";
