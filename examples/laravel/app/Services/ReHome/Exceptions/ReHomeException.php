<?php

declare(strict_types=1);

namespace App\Services\ReHome\Exceptions;

use RuntimeException;

/**
 * A refusal or failure from the ReHome gateway. `errorCode` is the problem's stable `code` (invalid_request,
 * stream_ended, ...), `status` its HTTP status (0 when the gateway could not be reached), `problem` the whole
 * RFC 9457 body. A refused request changed nothing.
 */
class ReHomeException extends RuntimeException
{
    /** @param array<string, mixed> $problem */
    public function __construct(
        string $message,
        public readonly string $errorCode,
        public readonly int $status,
        public readonly array $problem = [],
        ?\Throwable $previous = null,
    ) {
        parent::__construct($message, $status, $previous);
    }
}
