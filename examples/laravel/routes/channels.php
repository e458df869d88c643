<?php

use App\Models\Thread;
use Illuminate\Support\Facades\Broadcast;

// Unchanged from the Reverb setup: Echo's private('agent.thread.{id}') is authorized here, by the app, and the
// gateway checks the signature /broadcasting/auth returns. The gateway never sees the user.
Broadcast::channel('agent.thread.{threadId}', function ($user, string $threadId) {
    return Thread::query()->whereKey($threadId)->first()?->canBeWatchedBy($user) ?? false;
});
