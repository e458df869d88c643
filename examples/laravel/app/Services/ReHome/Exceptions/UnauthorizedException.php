<?php

declare(strict_types=1);

namespace App\Services\ReHome\Exceptions;

/** 401 or 403: the service key is missing or wrong (Auth:ServiceKeys), or a browser token was sent instead. */
class UnauthorizedException extends ReHomeException
{
}
