<?php

// The entries to add to config/services.php.
return [
    'rehome' => [
        'url' => env('REHOME_URL', 'http://localhost:8080'),   // the gateway
        'key' => env('REHOME_SERVICE_KEY'),                    // one of its Auth:ServiceKeys
        'max_attempts' => 5,
        'timeout' => 10,
    ],

    // Any OpenAI-compatible chat completions endpoint that streams (used by App\Jobs\StreamModelAnswer).
    'model' => [
        'url' => env('MODEL_URL', 'https://api.openai.com/v1'),
        'key' => env('MODEL_KEY'),
        'name' => env('MODEL_NAME', 'gpt-4o-mini'),
    ],
];
