<?php

declare(strict_types=1);

namespace App\Services\ReHome\Exceptions;

/** 404 thread_not_found. */
class ThreadNotFoundException extends ReHomeException
{
}
