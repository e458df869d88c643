<?php

declare(strict_types=1);

namespace App\Jobs;

use App\Services\ReHome\Exceptions\ReHomeException;
use App\Services\ReHome\Exceptions\StreamCancelledException;
use App\Services\ReHome\StreamingService;
use Generator;
use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Queue\InteractsWithQueue;
use Illuminate\Queue\MaxAttemptsExceededException;
use Illuminate\Queue\SerializesModels;
use Illuminate\Queue\TimeoutExceededException;
use Illuminate\Support\Facades\Http;
use LogicException;
use Throwable;

/**
 * Streams a model's answer to the thread's viewers: StreamModelAnswer::dispatch($threadId, $runId, $prompt).
 *
 * The model is any OpenAI-compatible chat completions endpoint with streaming (config/services.php 'model').
 * ReHome numbers, stores and fans out the tokens; Echo clients on private-agent.thread.{id} receive them as
 * `.agent.thread.token` events, exactly as from the old StreamingService.
 */
final class StreamModelAnswer implements ShouldQueue
{
    use Dispatchable;
    use InteractsWithQueue;
    use Queueable;
    use SerializesModels;

    /** A second try would ask the model again and stream a second answer; a failed one is cancelled instead. */
    public int $tries = 1;

    /**
     * Longer than the model call's 300 s: queue:work kills a job after 60 s by default, which would leave a long answer
     * open (viewers see it hang) until ReHome ends it as abandoned (Streams:StreamIdleTimeout, 15 min). Keep the queue
     * connection's retry_after above this.
     */
    public int $timeout = 330;

    /** Made at dispatch and serialized with the job, so that failed() can end the same stream. */
    public readonly string $streamId;

    public function __construct(
        public readonly string $threadId,
        public readonly string $runId,
        public readonly string $prompt,
    ) {
        $this->streamId = bin2hex(random_bytes(16));
    }

    public function handle(StreamingService $rehome): void
    {
        $rehome->startStream($this->threadId, $this->runId, $this->streamId, ownId: true);
        if ($rehome->tokens($this->streamId)['done']) {
            // A failed job sent again (queue:retry): its stream was ended when it failed, and the model is not asked twice.
            throw new LogicException("Stream {$this->streamId} has ended already: dispatch a new job to answer again.");
        }

        try {
            // One streamToken per model token, and endStream with the full text; cancels the stream if the model fails.
            $rehome->streamAnswer($this->threadId, $this->runId, $this->modelTokens(), $this->streamId);
        } catch (StreamCancelledException) {
            // The user pressed stop: leaving the generator closes the model's response.
        }
    }

    /**
     * The worker killed the job (past $timeout, out of memory) or it failed where streamAnswer could not cancel:
     * end the answer now, rather than leave viewers watching it "typing" until the idle timeout (15 min).
     */
    public function failed(?Throwable $exception): void
    {
        if ($exception instanceof MaxAttemptsExceededException && !$exception instanceof TimeoutExceededException) {
            // Delivered again while a worker still streams it (the queue's retry_after is too short): that worker's
            // answer goes on, so only this delivery fails.
            return;
        }

        try {
            app(StreamingService::class)->cancel($this->streamId, 'error: ' . preg_replace('/\A(.{0,200}).*\z/su', '$1', $exception?->getMessage() ?? 'the job failed'));
        } catch (ReHomeException) {
            // Never started, or already ended (a stop, or streamAnswer's own cancel): nothing to end.
        }
    }

    /** @return Generator<int, string> The model's tokens as they arrive (server-sent events). */
    private function modelTokens(): Generator
    {
        $model = config('services.model');
        $response = Http::withToken($model['key'])
            ->withOptions(['stream' => true])
            ->timeout(300)
            ->post(rtrim($model['url'], '/') . '/chat/completions', [
                'model' => $model['name'],
                'stream' => true,
                'messages' => [['role' => 'user', 'content' => $this->prompt]],
            ])
            ->throw();

        $body = $response->toPsrResponse()->getBody();
        $buffer = '';
        while (!$body->eof()) {
            $buffer .= $body->read(8192);
            while (($end = strpos($buffer, "\n")) !== false) {
                $line = trim(substr($buffer, 0, $end));
                $buffer = substr($buffer, $end + 1);
                if (!str_starts_with($line, 'data:')) {
                    continue;
                }

                $data = trim(substr($line, 5));
                if ($data === '[DONE]') {
                    return;
                }

                $token = json_decode($data, true, flags: JSON_THROW_ON_ERROR)['choices'][0]['delta']['content'] ?? null;
                if (is_string($token) && $token !== '') {
                    yield $token;
                }
            }
        }
    }
}
