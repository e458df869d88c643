<?php

declare(strict_types=1);

namespace App\Services\ReHome\Exceptions;

/**
 * 409 sequence_gap: the stream expects `expectedSequence()` next. The service resends what it still holds by
 * itself; this reaches the caller only when the missing tokens are no longer held (another process produced them).
 */
class SequenceGapException extends ReHomeException
{
    public function expectedSequence(): int
    {
        return (int)($this->problem['expectedSequence'] ?? 0);
    }
}
