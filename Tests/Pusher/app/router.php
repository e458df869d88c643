<?php
/*
 * A stand-in for a Laravel app's broadcasting side, run by the tests with `php -S 127.0.0.1:PORT router.php`.
 *
 *   POST /broadcasting/auth   Laravel's BroadcastController: the channel callback decides, then the app signs
 *                             as Illuminate\Broadcasting\Broadcasters\PusherBroadcaster does.
 *   GET  /vendor/...          the npm packages (Tests/Pusher/js/node_modules), as a Vite build would serve them.
 *   GET  /examples/...        examples/laravel/resources/js.
 *   GET  /quickstart/...      the README's blocks a test extracted ($REHOME_TEST_QUICKSTART_DIR).
 *   anything else             a file of this folder (the test pages).
 *
 * The user is the X-Test-User header, or the test_user cookie for pages (a real app has its session). Who may watch a thread is the file
 * $REHOME_TEST_ACL_DIR/{threadId}, one user id a line: the app's own database in a real app.
 * A request of a cookie session must carry the page's CSRF token (its csrf-token meta tag) as X-CSRF-TOKEN, or it gets
 * 419, as Laravel's web middleware answers: /broadcasting/auth is in the web group.
 */
declare(strict_types=1);

require __DIR__ . '/PusherChannelAuth.php';

/** The cookie session's CSRF token, as the test pages' csrf-token meta tag holds it. */
const CSRF_TOKEN = 'test-csrf-token-0123456789';

$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);

if ($path === '/broadcasting/auth') {
    header('Content-Type: application/json');
    if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
        http_response_code(405);
        exit;
    }

    $user = $_SERVER['HTTP_X_TEST_USER'] ?? '';
    if ($user === '' && isset($_COOKIE['test_user'])) {
        if (($_SERVER['HTTP_X_CSRF_TOKEN'] ?? '') !== CSRF_TOKEN) {
            http_response_code(419);
            echo json_encode(['message' => 'CSRF token mismatch.']);
            exit;
        }

        $user = $_COOKIE['test_user'];
    }

    $channel = (string)($_POST['channel_name'] ?? '');
    $socketId = (string)($_POST['socket_id'] ?? '');

    if (preg_match('/\Aprivate-agent\.thread\.([A-Za-z0-9_-]{1,128})\z/', $channel, $t) === 1 && next_planned_answer($t[1]) === '5') {
        http_response_code(503);
        echo json_encode(['message' => 'Service Unavailable']);
        exit;
    }

    // routes/channels.php: Broadcast::channel('agent.thread.{threadId}', fn ($user, $threadId) => ...);
    // Laravel matches the name without its private- prefix.
    $allowed = $user !== ''
        && preg_match('/\Aprivate-agent\.thread\.([A-Za-z0-9_-]{1,128})\z/', $channel, $m) === 1
        && in_array($user, acl_members($m[1]), true);
    if (!$allowed) {
        // Laravel answers an AccessDeniedHttpException: 403.
        http_response_code(403);
        echo json_encode(['message' => 'This action is unauthorized.']);
        exit;
    }

    try {
        $auth = PusherChannelAuth::fromEnvironment()->authorizeChannel($channel, $socketId);
    } catch (InvalidArgumentException $e) {
        http_response_code(403);
        echo json_encode(['message' => $e->getMessage()]);
        exit;
    }

    echo $auth;
    exit;
}

foreach (['/vendor/' => __DIR__ . '/../js/node_modules', '/examples/' => __DIR__ . '/../../../examples/laravel/resources/js', '/quickstart/' => getenv('REHOME_TEST_QUICKSTART_DIR')] as $prefix => $dir) {
    if (str_starts_with($path, $prefix)) {
        serve_file($dir, substr($path, strlen($prefix)));
    }
}

return false;

/** @return list<string> */
function acl_members(string $threadId): array
{
    $dir = getenv('REHOME_TEST_ACL_DIR');
    $file = $dir === false ? null : $dir . '/' . $threadId;
    if ($file === null || !is_file($file)) {
        return [];
    }

    return array_values(array_filter(array_map('trim', file($file) ?: []), fn ($line) => $line !== ''));
}

/** Takes the next answer the test planned for this thread's authorizations ('+' or '5'), or '+' when none is left. */
function next_planned_answer(string $threadId): string
{
    $dir = getenv('REHOME_TEST_ACL_DIR');
    $file = $dir === false ? null : $dir . '/' . $threadId . '.plan';
    if ($file === null || !is_file($file)) {
        return '+';
    }

    $plan = (string)file_get_contents($file);
    file_put_contents($file, substr($plan, 1));
    return $plan === '' ? '+' : $plan[0];
}

/** Sends a file from under $dir, or 404; never a path outside it. */
function serve_file(string|false $dir, string $relative): never
{
    $root = $dir === false ? false : realpath($dir);
    $file = $root === false ? false : realpath($root . '/' . $relative);
    if ($file === false || !str_starts_with($file, $root . DIRECTORY_SEPARATOR) || !is_file($file)) {
        http_response_code(404);
        exit;
    }

    header('Content-Type: ' . (str_ends_with($file, '.js') || str_ends_with($file, '.mjs') ? 'text/javascript' : 'application/octet-stream'));
    header('Cache-Control: no-store');
    readfile($file);
    exit;
}
