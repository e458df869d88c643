<?php

declare(strict_types=1);

namespace App\Services\ReHome\Exceptions;

/** 404 stream_not_found. */
class StreamNotFoundException extends ReHomeException
{
}
