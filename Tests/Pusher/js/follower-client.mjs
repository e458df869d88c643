// The example follower (examples/laravel/resources/js/rehome-thread-follower.js) on the real laravel-echo and
// pusher-js, in Node: Echo's socket on one gateway, the token page on TOKEN_PAGE (another gateway, as behind a load
// balancer without stickiness). It starts following FOLLOW_AFTER_MS after the first connection. Prints one JSON line
// per thing seen.
//
// Environment: GATEWAY_HOST, GATEWAY_PORT, APP_KEY, APP_URL (the PHP app), USER_ID, THREAD_ID, TOKEN_PAGE,
// FOLLOW_AFTER_MS, and FOLLOWER_MODULE: a copy of the follower named .mjs (Node 20 reads a .js file outside a
// "type": "module" package as CommonJS). Lines "disconnect" and "connect" on standard input do that to the socket.
import { pathToFileURL } from 'node:url';
import { endWithStandardInput, pageEcho, print } from './laravel-page.mjs';

const env = process.env;
const { followThread } = await import(pathToFileURL(env.FOLLOWER_MODULE).href);
const echo = pageEcho(env);

const pusher = echo.connector.pusher;
let following = false;
pusher.connection.bind('connected', () => {
  print({ type: 'connected', socketId: echo.socketId() });
  if (!following) {
    following = true;
    setTimeout(() => followThread(echo, env.THREAD_ID, {
      tokenPage: env.TOKEN_PAGE,
      onToken: (event) => print({ type: 'token', event }),
      onError: (error) => print({ type: 'follower_error', message: String(error.message ?? error) }),
    }), Number(env.FOLLOW_AFTER_MS));
  }
});

pusher.connection.bind('state_change', ({ current }) => print({ type: 'state', current }));
process.stdin.on('data', (data) => {
  for (const command of String(data).split('\n')) {
    if (command === 'disconnect') pusher.disconnect();
    if (command === 'connect') pusher.connect();
  }
});

endWithStandardInput(echo);
