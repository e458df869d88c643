// Catching up for an Echo client of ReHome. pusher-js has no resume: after a reconnect, Echo subscribes again and
// receives only what is published from then on, and a page that subscribes mid-answer missed its beginning.
// followThread() keeps the seed component's listener and adds what it lacks: on every (re)subscription it asks the
// gateway's token page what the thread's streams hold past what this page has seen, and it drops duplicates and
// fills gaps by sequence, so onToken sees each stream's tokens once each, in order, then its done event.
//
//   import { followThread } from './rehome-thread-follower.js';
//   const stop = followThread(window.Echo, threadId, {
//     tokenPage: `${gatewayUrl}/app/${appKey}`,   // the gateway's Pusher app
//     onToken: (e) => e.done ? finish(e.full_response) : append(e.token),
//   });
//
// The token page takes the same channel authorization as the subscription, fetched from the app's
// /broadcasting/auth for the current socket (Echo's auth headers, CSRF token and bearer token are reused).

/** After a catch-up the app or the token page failed (a 429, a 5xx, the network), try it again this much later. */
const retryDelaysMs = [1000, 2000, 5000, 10000, 30000];

export function followThread(echo, threadId, options) {
  const channelName = `private-agent.thread.${threadId}`;
  // Echo keeps the options it was given; its connector holds them with the CSRF token and bearer token added.
  const echoOptions = echo.connector?.options ?? echo.options;
  const authEndpoint = options.authEndpoint ?? echoOptions.authEndpoint ?? '/broadcasting/auth';
  const streams = new Map();            // streamId → { last, done }
  let history = null;                   // streams that had ended before this page followed the thread (not news)
  let queue = Promise.resolve();        // live events and catch-ups, one at a time, in arrival order
  let stopped = false;

  const run = (work) => {
    queue = queue.then(work).catch((error) => {
      if (error.code === 'socket_expired') {
        // Behind a load balancer the page may be served by a gateway that does not hold this socket, which takes
        // its signature only for Pusher:TokenPageSocketLifetime after it opened. A new connection has a new socket
        // id; Echo subscribes again, and that subscription's catch-up fetches what this one could not. Connect once
        // pusher-js has marked its channels unsubscribed (on 'disconnected'), or it would not subscribe them again.
        const pusher = echo.connector.pusher;
        const reconnect = () => {
          pusher.connection.unbind('disconnected', reconnect);
          pusher.connect();
        };
        pusher.connection.bind('disconnected', reconnect);
        pusher.disconnect();
      }
      options.onError?.(error);
    });
  };

  // When /broadcasting/auth or the token page fails for a while (a 429, a 5xx, the network), what failed is not
  // lost: one catch-up is scheduled, which fetches everything past what the page has, and until it runs, live
  // events that find a jump wait for it rather than each asking again.
  let retry = null;
  let failures = 0;
  const retryLater = (error) => {
    const passing = error instanceof TypeError || error.status === 429 || error.status >= 500;
    if (stopped || retry || !passing) {
      return;
    }
    const delay = Math.max(retryDelaysMs[Math.min(failures++, retryDelaysMs.length - 1)], (error.retryAfter ?? 0) * 1000);
    retry = setTimeout(() => {
      retry = null;
      if (!stopped) {
        runRetried(catchUp);
      }
    }, delay);
  };
  const runRetried = (work) => run(async () => {
    try {
      await work();
    } catch (error) {
      retryLater(error);
      throw error;
    }
  });

  const deliver = (event) => {
    const seen = streams.get(event.streamId) ?? { last: 0, done: false };
    streams.set(event.streamId, seen);
    if (seen.done || (!event.done && event.sequence <= seen.last)) {
      return;                           // a duplicate (the live copy of what a page already gave)
    }
    if (event.done) {
      seen.done = true;
    } else {
      seen.last = event.sequence;
    }
    options.onToken(event);
  };

  const post = async (path, body) => {
    const response = await fetch(`${options.tokenPage}/${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body),
    });
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      const error = new Error(`token page ${path}: ${response.status} ${problem.code ?? ''} ${problem.detail ?? ''}`.trim());
      error.code = problem.code;
      error.status = response.status;
      error.retryAfter = Number(response.headers.get('Retry-After')) || 0;
      throw error;
    }
    return response.json();
  };

  const authorize = async () => {
    const headers = { ...(echoOptions.auth?.headers ?? {}), 'Content-Type': 'application/x-www-form-urlencoded' };
    const response = await fetch(authEndpoint, {
      method: 'POST',
      headers,
      credentials: 'same-origin',
      body: new URLSearchParams({ socket_id: echo.socketId(), channel_name: channelName }),
    });
    if (!response.ok) {
      const error = new Error(`${authEndpoint} answered ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return { socket_id: echo.socketId(), channel_name: channelName, auth: (await response.json()).auth };
  };

  // Everything the thread's streams hold past what this page has: open streams, streams it saw but not their end,
  // and after a reconnect, streams that started and ended while it was away.
  const catchUp = async () => {
    const signed = await authorize();
    const { streams: listed } = await post('streams', signed);
    history ??= new Set(listed.filter((stream) => stream.done).map((stream) => stream.streamId));
    failures = 0;
    for (const stream of listed) {
      const seen = streams.get(stream.streamId);
      if (seen?.done || (!seen && history.has(stream.streamId))) {
        continue;
      }
      await fill(signed, stream.streamId, seen?.last ?? 0);
    }
  };

  const fill = async (signed, streamId, after) => {
    const page = await post('tokens', { ...signed, stream_id: streamId, after: String(after) });
    if (!page.complete && page.firstSequence > after + 1) {
      options.onIncomplete?.(page);     // older tokens are gone from the replay window; fullResponse arrives with done
    }
    const base = { threadId: page.threadId, runId: page.runId, streamId, fullResponse: null, full_response: null, reason: null, detail: null };
    page.tokens.forEach((token, i) => deliver({ ...base, sequence: page.firstSequence + i, token, done: false }));
    if (page.done) {
      deliver({ ...base, sequence: page.lastSequence, token: null, done: true, fullResponse: page.fullResponse,
        full_response: page.fullResponse, reason: page.reason, detail: page.detail });
    }
  };

  const channel = echo.private(`agent.thread.${threadId}`)
    .subscribed(() => { if (!stopped) runRetried(catchUp); })
    .listen('.agent.thread.token', (event) => {
      if (stopped) {
        return;
      }
      runRetried(async () => {
        // Seen from now on, even if what follows fails: a catch-up then fills it, though it ended meanwhile.
        const seen = streams.get(event.streamId) ?? { last: 0, done: false };
        streams.set(event.streamId, seen);
        const last = seen.last;
        // A token past the next one, or a done event past the last token seen: something is missing.
        if (!seen.done && event.sequence > (event.done ? last : last + 1)) {
          if (retry) {
            return;                     // the scheduled catch-up fetches it, this event with it
          }
          await fill(await authorize(), event.streamId, last);   // a jump: fetch what is missing first
        }
        deliver(event);
      });
    })
    // The gateway dropped messages this socket did not take fast enough: fetch them now rather than at the next jump.
    .listen('.agent.thread.behind', (notice) => {
      if (!stopped) {
        runRetried(async () => {
          const seen = streams.get(notice.streamId);
          if (!seen?.done) {
            await fill(await authorize(), notice.streamId, seen?.last ?? 0);
          }
        });
      }
    });

  if (channel.subscription?.subscribed) {
    runRetried(catchUp);                       // subscribed before this call: no subscription_succeeded is coming
  }

  return () => {
    stopped = true;
    clearTimeout(retry);
    channel.stopListening('.agent.thread.token');
    channel.stopListening('.agent.thread.behind');
    echo.leave(`agent.thread.${threadId}`);
  };
}
