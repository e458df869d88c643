<?php

declare(strict_types=1);

namespace App\Services\ReHome\Exceptions;

/** 409 stream_ended: the stream has already ended. */
class StreamEndedException extends ReHomeException
{
}
