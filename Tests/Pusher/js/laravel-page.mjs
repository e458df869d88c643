// What the Node clients share: a Laravel page's Echo (the real laravel-echo on the real pusher-js) against the
// gateway's Pusher endpoint, authorized by the app's /broadcasting/auth as the user the test names, and one JSON line
// printed per thing seen.
//
// Environment: GATEWAY_HOST, GATEWAY_PORT, APP_KEY, APP_URL (the PHP app), USER_ID.
import Echo from 'laravel-echo';
import Pusher from 'pusher-js';

export const print = (line) => process.stdout.write(JSON.stringify(line) + '\n');

/** Echo as a Laravel page configures it for Reverb; `options` adds to or replaces its settings. */
export function pageEcho(env, options = {}) {
  return new Echo({
    broadcaster: 'reverb',
    key: env.APP_KEY,
    wsHost: env.GATEWAY_HOST,
    wsPort: Number(env.GATEWAY_PORT),
    forceTLS: false,
    enabledTransports: ['ws'],
    authEndpoint: `${env.APP_URL}/broadcasting/auth`,
    auth: { headers: { 'X-Test-User': env.USER_ID } },
    ...options,
    Pusher,
  });
}

/** The test ends the process by closing its standard input. */
export function endWithStandardInput(echo) {
  process.stdin.resume();
  process.stdin.on('end', () => {
    echo.disconnect();
    process.exit(0);
  });
}
