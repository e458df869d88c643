// A Laravel page's Echo, in Node: the real laravel-echo on the real pusher-js, against the gateway's Pusher
// endpoint, authorized by the app's /broadcasting/auth. Driven by Tests/Pusher; prints one JSON line per thing seen.
//
// Environment: GATEWAY_HOST, GATEWAY_PORT, APP_KEY, APP_URL (the PHP app), USER_ID, THREAD_ID, and AUTH_MODE:
//   app              the app signs (the normal case)
//   forged           a made-up signature for the right socket and channel
//   borrowed:<id>    the app's genuine signature for thread <id>, presented for THREAD_ID
import { endWithStandardInput, pageEcho, print } from './laravel-page.mjs';

const env = process.env;
const mode = env.AUTH_MODE ?? 'app';

async function appAuth(socketId, channelName) {
  const response = await fetch(`${env.APP_URL}/broadcasting/auth`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Test-User': env.USER_ID },
    body: new URLSearchParams({ socket_id: socketId, channel_name: channelName }),
  });
  if (!response.ok) {
    const error = new Error(`auth endpoint answered ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return response.json();
}

// Only the two test modes replace how the channel is authorized; 'app' uses Echo's own authEndpoint request.
const authorizer = mode === 'app' ? undefined : (channel) => ({
  authorize: (socketId, callback) => {
    if (mode === 'forged') {
      callback(null, { auth: `${env.APP_KEY}:${'0'.repeat(64)}` });
      return;
    }
    const other = mode.slice('borrowed:'.length);
    appAuth(socketId, `private-agent.thread.${other}`).then((data) => callback(null, data), (error) => callback(error, null));
  },
});

const echo = pageEcho(env, authorizer ? { authorizer } : {});

const pusher = echo.connector.pusher;
pusher.connection.bind('state_change', ({ previous, current }) => print({ type: 'state', previous, current }));
pusher.connection.bind('connected', () => print({ type: 'connected', socketId: echo.socketId() }));
pusher.connection.bind('error', (error) => print({ type: 'connection_error', error: error?.data ?? error?.error?.data ?? null }));

echo.private(`agent.thread.${env.THREAD_ID}`)
  .subscribed(() => print({ type: 'subscribed' }))
  .error((error) => print({ type: 'subscription_error', error }))
  .listen('.agent.thread.token', (event) => print({ type: 'token', event }));

endWithStandardInput(echo);
