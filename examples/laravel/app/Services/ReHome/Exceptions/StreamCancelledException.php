<?php

declare(strict_types=1);

namespace App\Services\ReHome\Exceptions;

/** 409 stream_cancelled: the stream was cancelled (the user pressed stop). */
class StreamCancelledException extends ReHomeException
{
}
