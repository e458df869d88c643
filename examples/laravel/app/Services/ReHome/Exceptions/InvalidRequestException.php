<?php

declare(strict_types=1);

namespace App\Services\ReHome\Exceptions;

/** 400 invalid_request: `field` names what was wrong (a null or too long token, a malformed id, ...). */
class InvalidRequestException extends ReHomeException
{
    public function field(): ?string
    {
        return isset($this->problem['field']) ? (string)$this->problem['field'] : null;
    }
}
