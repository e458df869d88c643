<?php

declare(strict_types=1);

namespace App\Services\ReHome\Exceptions;

/** 409 stream_conflict: a different text is already stored under that sequence number, or the stream belongs to another thread or run. */
class StreamConflictException extends ReHomeException
{
}
