<?php

declare(strict_types=1);

namespace App\Services\ReHome\Exceptions;

/** 503 storage_unavailable or unavailable, or the gateway could not be reached, and the retries ran out. Nothing was lost: retry later. */
class UnavailableException extends ReHomeException
{
}
