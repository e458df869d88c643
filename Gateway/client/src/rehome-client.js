// The connection to the gateway's hub: connects and reconnects for as long as it is wanted, joins threads
// (re-joining them after every reconnect, since group memberships die with a connection) and routes each
// thread's messages to whoever watches it.
import * as signalR from '@microsoft/signalr';

/** The names the hub uses; the only place they are spelled. */
export const Hub = Object.freeze({
  token: 'agent.thread.token',
  tokens: 'agent.thread.tokens',
  presence: 'agent.thread.presence',
  behind: 'agent.thread.behind',
  revoked: 'agent.thread.revoked',
  joinThread: 'JoinThread',
  leaveThread: 'LeaveThread',
  getTokens: 'GetTokens',
  cancelStream: 'CancelStream',
  getPresence: 'GetPresence',
});

/**
 * Keep-alive, matched to the gateway's defaults: it pings every `serverKeepAliveMs` (its `Hub:KeepAliveInterval`),
 * so a connection silent for longer shows as `reconnecting`, and one silent for `serverTimeoutMs` is dropped and
 * reconnected. This client pings every `keepAliveIntervalMs`, half the gateway's `Hub:ClientTimeout` (30 s).
 */
export const keepAliveDefaults = Object.freeze({ serverKeepAliveMs: 5000, serverTimeoutMs: 15000, keepAliveIntervalMs: 15000 });

const defaultRetryDelays = [0, 500, 1000, 2000, 5000, 10000];

/** How much later than its keep-alive a server ping may arrive (the server checks once a second) before the socket counts as silent. */
const pingSlackMs = 2000;

/** How often the client checks whether the server has gone silent. */
const silenceCheckMs = 500;

/** How long a stop keeps trying through a failover or a reconnect before it gives up. */
const stopTimeoutMs = 30000;

/** A connection the server closes sooner than this after it opened (a quota, say) was not a working one: back off. */
const stableConnectionMs = 5000;

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** Codes that are final answers. Any other code (`unavailable`: the cluster did not answer) is worth retrying. */
const refusals = new Set(['forbidden', 'invalid_request', 'stream_not_found', 'thread_not_found', 'revoked']);

/** An error the hub sent with a code (`forbidden`, `stream_not_found`, `unavailable`, …). */
export class HubError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'HubError';
    this.code = code;
  }

  /** True for a refusal, which asking again will not change; false for a fault such as `unavailable`. */
  get isRefusal() {
    return refusals.has(this.code);
  }

  /** The hub sends refusals as "… HubException: <code>: <message>"; anything else stays as it was. */
  static from(error) {
    const match = /HubException: ([a-z_]+): ([\s\S]*)$/.exec(error?.message ?? '');
    return match ? new HubError(match[1], match[2].trim()) : error;
  }
}

/**
 * One SignalR connection to `/hubs/agent`. Events: `statechange` (detail: { state }), where state is
 * `connecting`, `connected`, `reconnecting` or `disconnected`; `connecterror` (detail: { error }) when a
 * connection attempt failed and another will follow.
 */
export class ReHomeClient extends EventTarget {
  #connection;
  #threads = new Map();
  #connectedWaiters = [];
  #state = 'disconnected';
  #starting = null;
  #stopped = false;
  #retryDelays;
  #serverKeepAliveMs;
  #socket = null;
  #heardAt = 0;
  #checkedAt = 0;
  #silent = false;
  #silenceTimer = 0;
  #wakeRetry = null;
  #connectedAt = 0;
  #quickCloses = 0;
  #onNetworkBack = () => this.#reconnectNow();
  #onVisible = () => document.visibilityState === 'visible' && this.#reconnectNow();

  /**
   * @param {object} options
   * @param {string} [options.url] the hub URL, relative to the page or absolute (default `/hubs/agent`)
   * @param {() => string | Promise<string>} options.accessTokenFactory the user's JWT; called on every (re)connect
   * @param {number} [options.silenceProbeMs] ask an open stream for its state after this much silence (default 10 s)
   * @param {number[]} [options.retryDelays] reconnect delays in ms; the last one repeats forever
   * @param {number} [options.serverKeepAliveMs] the gateway's `Hub:KeepAliveInterval`: silent longer, the connection shows as reconnecting
   * @param {number} [options.serverTimeoutMs] give the server up after this much silence (at least twice serverKeepAliveMs)
   * @param {number} [options.keepAliveIntervalMs] ping the server after this much silence (at most half the gateway's `Hub:ClientTimeout`)
   */
  constructor({
    url = '/hubs/agent',
    accessTokenFactory,
    silenceProbeMs = 10000,
    retryDelays = defaultRetryDelays,
    serverKeepAliveMs = keepAliveDefaults.serverKeepAliveMs,
    serverTimeoutMs = keepAliveDefaults.serverTimeoutMs,
    keepAliveIntervalMs = keepAliveDefaults.keepAliveIntervalMs,
    logLevel,
  } = {}) {
    super();
    if (typeof accessTokenFactory !== 'function') {
      throw new TypeError('ReHomeClient needs an accessTokenFactory that returns the user\'s token.');
    }

    this.silenceProbeMs = silenceProbeMs;
    this.#retryDelays = retryDelays;
    this.#serverKeepAliveMs = serverKeepAliveMs;
    this.#connection = new signalR.HubConnectionBuilder()
      // One WebSocket request, no negotiate: a load balancer needs no stickiness to route it (deploy/README.md, "nginx").
      .withUrl(url, {
        accessTokenFactory,
        skipNegotiation: true,
        transport: signalR.HttpTransportType.WebSockets,
        ...this.#listeningWebSocket(),
      })
      .withAutomaticReconnect({ nextRetryDelayInMilliseconds: context => this.#retryDelay(context.previousRetryCount) })
      .configureLogging(logLevel ?? signalR.LogLevel.Warning)
      .build();
    this.#connection.keepAliveIntervalInMilliseconds = keepAliveIntervalMs;
    this.#connection.serverTimeoutInMilliseconds = serverTimeoutMs;
    this.#connection.on(Hub.token, message => this.#route(message));
    this.#connection.on(Hub.tokens, messages => messages.forEach(message => this.#route(message)));
    this.#connection.on(Hub.presence, presence => this.#presence(presence));
    // The gateway dropped messages this connection could not take fast enough: the watcher fetches them.
    this.#connection.on(Hub.behind, notice => this.#each(this.#threads.get(notice?.threadId), watcher => watcher.onBehind?.(notice)));
    this.#connection.on(Hub.revoked, notice => this.#revoked(notice?.threadId));
    this.#connection.onreconnecting(() => this.#setState('reconnecting'));
    this.#connection.onreconnected(() => this.#connected());
    this.#connection.onclose(error => this.#closed(error));
  }

  /** The gateway's ping interval this client expects (its `Hub:KeepAliveInterval`). */
  get serverKeepAliveMs() {
    return this.#serverKeepAliveMs;
  }

  get state() {
    return this.#state;
  }

  /** The underlying SignalR HubConnection, for what this class does not cover. */
  get connection() {
    return this.#connection;
  }

  /** Connects, retrying until it succeeds or {@link stop} is called. Safe to call more than once. */
  start() {
    this.#stopped = false;
    if (!this.#silenceTimer) {
      this.#listen(true);
    }

    this.#starting ??= this.#startLoop().finally(() => { this.#starting = null; });
    return this.#starting;
  }

  async stop() {
    this.#stopped = true;
    this.#listen(false);
    this.#wakeRetry?.();
    await this.#connection.stop();
  }

  /**
   * Stops a stream for everyone watching it: `CancelStream(streamId, reason)`. Resolves with
   * `{ streamId, cancelled, reason, detail }`; `cancelled` is false when the stream had already ended (then
   * `reason` says how). Through a reconnect or a cluster failover it keeps trying (a stop is safe to repeat) for up
   * to 30 s; a refusal (`forbidden`, `stream_not_found`, `invalid_request`) rejects with a {@link HubError} at once.
   */
  async cancelStream(streamId, reason = null) {
    const deadline = performance.now() + stopTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      const connected = await Promise.race([
        this.#whenConnected().then(() => true),
        sleep(deadline - performance.now()).then(() => false),
      ]);
      if (!connected) {
        throw new HubError('unavailable', 'The stop could not reach the gateway in time.');
      }

      try {
        return await this.#connection.invoke(Hub.cancelStream, streamId, reason);
      } catch (raw) {
        const error = HubError.from(raw);
        if ((error instanceof HubError && error.isRefusal) || this.#stopped || performance.now() > deadline) {
          throw error;
        }

        await sleep(Math.max(250, this.#retryDelay(attempt)));
      }
    }
  }

  /** `GetPresence(threadId)`: `{ threadId, count, userIds, version }`. Refusals reject with a {@link HubError}. */
  async getPresence(threadId) {
    await this.#whenConnected();
    try {
      return await this.#connection.invoke(Hub.getPresence, threadId);
    } catch (error) {
      throw HubError.from(error);
    }
  }

  /** The last presence this connection was told for a joined thread, or null. */
  presence(threadId) {
    return this.#threads.get(threadId)?.presence ?? null;
  }

  /**
   * Watches a thread: joins it (now, or once connected) and again after every reconnect.
   * @param {string} threadId
   * @param {{ onMessage: (message) => void, onJoined?: (streams) => void, onBehind?: (notice) => void,
   *   onError?: (error) => void, onPresence?: (presence) => void }} watcher
   *   onJoined gets JoinThread's list of streams after each (re)join; onBehind gets `{ threadId, streamId, lastSequence }`
   *   when the gateway dropped messages of a stream for this connection (fetch them with getTokens); onError gets a
   *   {@link HubError} such as `forbidden` or `revoked`, after which the thread is not joined again; onPresence gets
   *   each newer presence of the thread.
   * @returns {{ close: () => void }} close leaves the thread once nobody watches it.
   */
  watch(threadId, watcher) {
    let thread = this.#threads.get(threadId);
    if (!thread) {
      thread = { id: threadId, watchers: new Set(), joins: 0, joined: false, refused: null, overQuota: null };
      this.#threads.set(threadId, thread);
      this.#join(thread);
    } else if (thread.refused || thread.overQuota) {
      const error = thread.refused ?? thread.overQuota;
      queueMicrotask(() => watcher.onError?.(error));
    } else if (thread.joined && thread.streams) {
      queueMicrotask(() => thread.watchers.has(watcher) && watcher.onJoined?.([...thread.streams]));
    }

    if (thread.presence) {
      queueMicrotask(() => thread.watchers.has(watcher) && watcher.onPresence?.(thread.presence));
    }

    thread.watchers.add(watcher);
    return { close: () => this.#unwatch(thread, watcher) };
  }

  /** GetTokens(streamId, afterSequence), once connected. Refusals reject with a {@link HubError}. */
  async getTokens(streamId, afterSequence) {
    await this.#whenConnected();
    try {
      return await this.#connection.invoke(Hub.getTokens, streamId, afterSequence);
    } catch (error) {
      throw HubError.from(error);
    }
  }

  async #startLoop() {
    this.#setState('connecting');
    for (let attempt = 0; !this.#stopped; attempt++) {
      try {
        await this.#connection.start();
        this.#connected();
        return;
      } catch (error) {
        if (this.#stopped) {
          break;
        }

        console.warn('ReHome: could not connect; retrying.', error);
        this.dispatchEvent(new CustomEvent('connecterror', { detail: { error } }));
        // The network coming back (or the tab being shown) cuts the wait short.
        await new Promise(resolve => {
          this.#wakeRetry = resolve;
          setTimeout(resolve, Math.max(1000, this.#retryDelay(attempt)));
        });
        this.#wakeRetry = null;
      }
    }

    this.#setState('disconnected');
  }

  #retryDelay(retries) {
    return this.#retryDelays[Math.min(retries, this.#retryDelays.length - 1)];
  }

  #connected() {
    this.#connectedAt = performance.now();
    this.#heard();
    this.#setState('connected');
    for (const resolve of this.#connectedWaiters.splice(0)) {
      resolve();
    }

    // A new connection is in no group: join every watched thread again.
    for (const thread of this.#threads.values()) {
      if (!thread.refused) {
        this.#join(thread);
      }
    }
  }

  #closed(error) {
    for (const thread of this.#threads.values()) {
      thread.joined = false;
    }

    if (this.#stopped) {
      this.#setState('disconnected');
      return;
    }

    // Automatic reconnect gave up, or the server closed for good: start from scratch, at once after a connection
    // that worked, backing off after ones the server closed as soon as they opened. Never from inside this callback:
    // SignalR's stop goes on after it and would clear the new connection's transport (it then times out, 15 s on).
    this.#quickCloses = performance.now() - this.#connectedAt < stableConnectionMs ? this.#quickCloses + 1 : 0;
    if (error) {
      this.dispatchEvent(new CustomEvent('connecterror', { detail: { error } }));
    }

    this.#setState('reconnecting');
    const wait = this.#quickCloses === 0 ? 0 : Math.max(1000, this.#retryDelay(this.#quickCloses - 1));
    new Promise(resolve => {
      this.#wakeRetry = resolve; // the network coming back (or the tab being shown) cuts the wait short
      setTimeout(resolve, wait);
    }).then(() => {
      this.#wakeRetry = null;
      if (!this.#stopped) {
        this.start();
      }
    });
  }

  async #join(thread) {
    const attempt = ++thread.joins;
    if (this.#connection.state !== signalR.HubConnectionState.Connected) {
      return; // #connected joins every thread once the connection is up
    }

    try {
      const streams = await this.#connection.invoke(Hub.joinThread, thread.id);
      if (this.#threads.get(thread.id) !== thread) {
        this.#leave(thread.id); // nobody watches it any more
        this.#joinWaiting();
        return;
      }

      if (attempt === thread.joins) {
        thread.joined = true;
        thread.overQuota = null;
        thread.streams = streams;
        thread.oldestFirst = idsOldestFirst(streams);
        thread.endedKept = Math.max(endedStreamsKept, streams.filter(s => s.done).length);
        this.#each(thread, watcher => watcher.onJoined?.([...streams]));
      }
    } catch (raw) {
      const error = HubError.from(raw);
      if (error instanceof HubError && error.isRefusal) {
        thread.refused = error;
        this.#each(thread, watcher => watcher.onError?.(error));
      } else if (error instanceof HubError && error.code === 'quota_exceeded') {
        if (attempt === thread.joins) {
          // This connection holds as many threads as it may: asking again changes nothing until it leaves one
          // (#joinWaiting) or reconnects.
          thread.overQuota = error;
          this.#each(thread, watcher => watcher.onError?.(error));
        }
      } else if (attempt === thread.joins && this.#connection.state === signalR.HubConnectionState.Connected) {
        // A fault rather than a refusal, on a live connection: try again shortly.
        console.warn(`ReHome: joining thread ${thread.id} failed; retrying.`, raw);
        setTimeout(() => this.#threads.get(thread.id) === thread && attempt === thread.joins && this.#join(thread), 2000);
      }
    }
  }

  #unwatch(thread, watcher) {
    if (!thread.watchers.delete(watcher) || thread.watchers.size > 0 || this.#threads.get(thread.id) !== thread) {
      return;
    }

    this.#threads.delete(thread.id);
    if (thread.joined) {
      this.#leave(thread.id);
      this.#joinWaiting();
    }
  }

  /** A place on the connection was freed: a thread the quota kept out joins now (the hub takes calls in order). */
  #joinWaiting() {
    const waiting = [...this.#threads.values()].find(t => t.overQuota);
    if (waiting) {
      waiting.overQuota = null;
      this.#join(waiting);
    }
  }

  #leave(threadId) {
    if (this.#connection.state === signalR.HubConnectionState.Connected && !this.#threads.has(threadId)) {
      this.#connection.invoke(Hub.leaveThread, threadId).catch(() => { /* the connection is gone, and the group with it */ });
    }
  }

  #presence(presence) {
    const thread = this.#threads.get(presence?.threadId);
    if (!thread || (thread.presence && thread.presence.version >= presence.version)) {
      return;
    }

    thread.presence = presence;
    this.#each(thread, watcher => watcher.onPresence?.(presence));
    this.dispatchEvent(new CustomEvent('presence', { detail: presence }));
  }

  /**
   * A WebSocket that notes every message it receives, pings included, so a connection the server has gone silent
   * on shows as `reconnecting` soon after the server's keep-alive rather than after the whole server timeout.
   */
  #listeningWebSocket() {
    if (typeof WebSocket === 'undefined') {
      return {};
    }

    const client = this;
    return {
      WebSocket: class ListeningWebSocket extends WebSocket {
        constructor(url, protocols) {
          super(url, protocols);
          client.#socket = this;
          this.addEventListener('message', () => client.#heard());
        }
      },
    };
  }

  #heard() {
    this.#heardAt = performance.now();
    if (this.#silent) {
      this.#silent = false;
      if (this.#connection.state === signalR.HubConnectionState.Connected) {
        this.#setState('connected');
      }
    }
  }

  #checkSilence() {
    // A check that ran late means this page was frozen (a long task, a paused tab): messages that arrived meanwhile
    // are still queued behind this timer, so their absence says nothing about the connection yet.
    const now = performance.now();
    const late = now - this.#checkedAt > silenceCheckMs * 3;
    this.#checkedAt = now;
    const socketOpen = this.#socket?.readyState === WebSocket.OPEN;
    if (!late && !this.#silent && socketOpen && this.#connection.state === signalR.HubConnectionState.Connected
      && now - this.#heardAt > this.#serverKeepAliveMs + pingSlackMs) {
      this.#silent = true;
      this.#setState('reconnecting');
    }
  }

  /** The network is back or the tab is shown: a connection that is down or silent starts over now, not on its schedule. */
  #reconnectNow() {
    const state = this.#connection.state;
    if (this.#stopped || state === signalR.HubConnectionState.Connecting
      || (state === signalR.HubConnectionState.Connected && !this.#silent)) {
      return;
    }

    if (this.#wakeRetry) {
      this.#wakeRetry(); // #startLoop or #closed is between attempts
    } else if (state !== signalR.HubConnectionState.Disconnected) {
      // Reconnecting (waiting out a delay) or silent: stop it; #closed starts afresh at once.
      this.#connection.stop();
    }
  }

  #listen(on) {
    if (typeof window === 'undefined') {
      return;
    }

    const method = on ? 'addEventListener' : 'removeEventListener';
    window[method]('online', this.#onNetworkBack);
    document[method]('visibilitychange', this.#onVisible);
    clearInterval(this.#silenceTimer);
    this.#checkedAt = performance.now();
    this.#silenceTimer = on ? setInterval(() => this.#checkSilence(), silenceCheckMs) : 0;
  }

  #revoked(threadId) {
    const thread = this.#threads.get(threadId);
    if (thread && !thread.refused) {
      thread.joined = false;
      thread.refused = new HubError('revoked', `Access to thread '${threadId}' was revoked.`);
      this.#each(thread, watcher => watcher.onError?.(thread.refused));
      this.#joinWaiting(); // the gateway took the thread off this connection
    }
  }

  #route(message) {
    const thread = this.#threads.get(message?.threadId);
    if (thread) {
      noteProgress(thread, message);
      this.#each(thread, watcher => watcher.onMessage(message));
    }
  }

  #each(thread, action) {
    for (const watcher of [...(thread?.watchers ?? [])]) {
      try {
        action(watcher);
      } catch (error) {
        console.error('ReHome: a thread watcher failed.', error);
      }
    }
  }

  #whenConnected() {
    return this.#connection.state === signalR.HubConnectionState.Connected
      ? Promise.resolve()
      : new Promise(resolve => this.#connectedWaiters.push(resolve));
  }

  #setState(state) {
    if (this.#state !== state) {
      this.#state = state;
      this.dispatchEvent(new CustomEvent('statechange', { detail: { state } }));
    }
  }
}

let shared = null;
let sharedWaiters = [];
const sharedChanges = new EventTarget();

/**
 * Configures and starts the page's shared connection, which every `<rehome-ai-response>` without a client of its
 * own uses. Calling it again (a new token after logout and login, a hot reload) stops the previous connection and
 * moves every such element onto the new one.
 */
export function connect(options) {
  const client = new ReHomeClient(options);
  const previous = shared;
  shared = client;
  client.start();
  previous?.stop();
  for (const resolve of sharedWaiters.splice(0)) {
    resolve(client);
  }

  sharedChanges.dispatchEvent(new CustomEvent('change', { detail: { client } }));
  return client;
}

/** Stops the shared connection (logout); elements wait for the next {@link connect}. */
export async function disconnect() {
  const previous = shared;
  shared = null;
  sharedChanges.dispatchEvent(new CustomEvent('change', { detail: { client: null } }));
  await previous?.stop();
}

/** The shared client, now or once {@link connect} is called. */
export function sharedClient() {
  return shared ? Promise.resolve(shared) : new Promise(resolve => sharedWaiters.push(resolve));
}

/** Calls `listener(client)` whenever {@link connect} or {@link disconnect} replaces the shared client; returns an unsubscribe. */
export function onSharedClientChange(listener) {
  const handler = event => listener(event.detail.client);
  sharedChanges.addEventListener('change', handler);
  return () => sharedChanges.removeEventListener('change', handler);
}

/**
 * Ended streams a joined thread's list keeps, as the server does (its default `Streams:RecentStreamsPerThread`), or
 * as many as the join listed if it listed more: a page joined for hours would otherwise list every stream it saw.
 */
const endedStreamsKept = 20;

/**
 * Keeps a joined thread's list of streams current from its messages, so that a watcher added later without a
 * rejoin is handed where each stream stands now, including streams that started since the join.
 */
function noteProgress(thread, message) {
  const streams = thread.streams;
  if (!streams) {
    return;
  }

  const known = streams.find(s => s.streamId === message.streamId);
  if (known) {
    known.lastSequence = Math.max(known.lastSequence, message.sequence);
    if (message.done) {
      known.done = true;
      known.reason = message.reason ?? known.reason;
    }
  } else {
    streams.push({
      streamId: message.streamId,
      runId: message.runId,
      lastSequence: message.sequence,
      done: message.done,
      reason: message.done ? message.reason ?? null : null,
      startedAt: firstSeenAt(streams),
    });
    thread.oldestFirst.push(message.streamId);
  }

  if (message.done) {
    forgetOldestEnded(thread);
  }
}

/**
 * The listed streams' ids, oldest first. Date.parse keeps milliseconds, and streams started within one tie; the
 * server lists each group newest first by its full-precision time, so reversed, a stable sort keeps ties in order.
 */
function idsOldestFirst(streams) {
  return [...streams].reverse().sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt)).map(s => s.streamId);
}

/** Now, or just after the newest stream listed when the server's clock is ahead of this browser's. */
function firstSeenAt(streams) {
  const newest = Math.max(0, ...streams.map(s => Date.parse(s.startedAt) || 0));
  return new Date(Math.max(Date.now(), newest + 1)).toISOString();
}

/**
 * Drops the oldest ended streams past the thread's allowance: oldest by the server's start times for those the join
 * listed, then in the order first seen, so that a browser clock unlike the server's cannot make a new one look old.
 */
function forgetOldestEnded(thread) {
  const { streams, oldestFirst } = thread;
  let excess = streams.filter(s => s.done).length - thread.endedKept;
  for (let i = 0; excess > 0 && i < oldestFirst.length;) {
    const index = streams.findIndex(s => s.streamId === oldestFirst[i]);
    if (index >= 0 && streams[index].done) {
      streams.splice(index, 1);
      oldestFirst.splice(i, 1);
      excess--;
    } else {
      i++;
    }
  }
}
