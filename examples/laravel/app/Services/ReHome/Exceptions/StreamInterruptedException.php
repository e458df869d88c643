<?php

declare(strict_types=1);

namespace App\Services\ReHome\Exceptions;

/** 409 stream_interrupted: the stream's silo crashed; only appends with explicit sequence numbers are taken (this class always sends them). */
class StreamInterruptedException extends ReHomeException
{
}
