<?php

declare(strict_types=1);

namespace App\Services\ReHome\Exceptions;

/** 429 rate_limited, once the retries ran out: too many tokens per second on the stream, or stream starts on the thread. */
class RateLimitedException extends ReHomeException
{
    public function retryAfterSeconds(): int
    {
        return (int)($this->problem['retryAfterSeconds'] ?? 1);
    }
}
