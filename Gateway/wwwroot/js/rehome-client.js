// The connection to the gateway's hub: connects and reconnects for as long as it is wanted, joins threads
// (re-joining them after every reconnect, since group memberships die with a connection) and routes each
// thread's messages to whoever watches it.
import '../lib/signalr/signalr.min.js'; // the npm package's browser bundle; it defines globalThis.signalR

const signalR = globalThis.signalR;

/** The names the hub uses; the only place they are spelled. */
export const Hub = Object.freeze({
  token: 'agent.thread.token',
  tokens: 'agent.thread.tokens',
  behind: 'agent.thread.behind',
  revoked: 'agent.thread.revoked',
  joinThread: 'JoinThread',
  leaveThread: 'LeaveThread',
  getTokens: 'GetTokens',
});

const defaultRetryDelays = [0, 500, 1000, 2000, 5000, 10000];

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

  /**
   * @param {object} options
   * @param {string} [options.url] the hub URL, relative to the page or absolute (default `/hubs/agent`)
   * @param {() => string | Promise<string>} options.accessTokenFactory the user's JWT; called on every (re)connect
   * @param {number} [options.silenceProbeMs] ask an open stream for its state after this much silence (default 10 s)
   * @param {number[]} [options.retryDelays] reconnect delays in ms; the last one repeats forever
   */
  constructor({ url = '/hubs/agent', accessTokenFactory, silenceProbeMs = 10000, retryDelays = defaultRetryDelays, logLevel } = {}) {
    super();
    if (typeof accessTokenFactory !== 'function') {
      throw new TypeError('ReHomeClient needs an accessTokenFactory that returns the user\'s token.');
    }

    this.silenceProbeMs = silenceProbeMs;
    this.#retryDelays = retryDelays;
    this.#connection = new signalR.HubConnectionBuilder()
      .withUrl(url, { accessTokenFactory })
      .withAutomaticReconnect({ nextRetryDelayInMilliseconds: context => this.#retryDelay(context.previousRetryCount) })
      .configureLogging(logLevel ?? signalR.LogLevel.Warning)
      .build();
    this.#connection.on(Hub.token, message => this.#route(message));
    this.#connection.on(Hub.tokens, messages => messages.forEach(message => this.#route(message)));
    // The gateway dropped messages this connection could not take fast enough: the watcher fetches them.
    this.#connection.on(Hub.behind, notice => this.#each(this.#threads.get(notice?.threadId), watcher => watcher.onBehind?.(notice)));
    this.#connection.on(Hub.revoked, notice => this.#revoked(notice?.threadId));
    this.#connection.onreconnecting(() => this.#setState('reconnecting'));
    this.#connection.onreconnected(() => this.#connected());
    this.#connection.onclose(() => this.#closed());
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
    this.#starting ??= this.#startLoop().finally(() => { this.#starting = null; });
    return this.#starting;
  }

  async stop() {
    this.#stopped = true;
    await this.#connection.stop();
  }

  /**
   * Watches a thread: joins it (now, or once connected) and again after every reconnect.
   * @param {string} threadId
   * @param {{ onMessage: (message) => void, onJoined?: (streams) => void, onBehind?: (notice) => void, onError?: (error) => void }} watcher
   *   onJoined gets JoinThread's list of streams after each (re)join; onBehind gets `{ threadId, streamId, lastSequence }`
   *   when the gateway dropped messages of a stream for this connection (fetch them with getTokens); onError gets a
   *   {@link HubError} such as `forbidden` or `revoked`, after which the thread is not joined again.
   * @returns {{ close: () => void }} close leaves the thread once nobody watches it.
   */
  watch(threadId, watcher) {
    let thread = this.#threads.get(threadId);
    if (!thread) {
      thread = { id: threadId, watchers: new Set(), joins: 0, joined: false, refused: null };
      this.#threads.set(threadId, thread);
      this.#join(thread);
    } else if (thread.refused) {
      queueMicrotask(() => watcher.onError?.(thread.refused));
    } else if (thread.joined && thread.streams) {
      queueMicrotask(() => thread.watchers.has(watcher) && watcher.onJoined?.(thread.streams));
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
        await new Promise(resolve => setTimeout(resolve, Math.max(1000, this.#retryDelay(attempt))));
      }
    }

    this.#setState('disconnected');
  }

  #retryDelay(retries) {
    return this.#retryDelays[Math.min(retries, this.#retryDelays.length - 1)];
  }

  #connected() {
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

  #closed() {
    for (const thread of this.#threads.values()) {
      thread.joined = false;
    }

    if (this.#stopped) {
      this.#setState('disconnected');
    } else {
      // Automatic reconnect gave up or the server closed for good: keep trying from scratch.
      this.start();
    }
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
        return;
      }

      if (attempt === thread.joins) {
        thread.joined = true;
        thread.streams = streams;
        this.#each(thread, watcher => watcher.onJoined?.(streams));
      }
    } catch (raw) {
      const error = HubError.from(raw);
      if (error instanceof HubError && error.isRefusal) {
        thread.refused = error;
        this.#each(thread, watcher => watcher.onError?.(error));
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
    }
  }

  #leave(threadId) {
    if (this.#connection.state === signalR.HubConnectionState.Connected && !this.#threads.has(threadId)) {
      this.#connection.invoke(Hub.leaveThread, threadId).catch(() => { /* the connection is gone, and the group with it */ });
    }
  }

  #revoked(threadId) {
    const thread = this.#threads.get(threadId);
    if (thread && !thread.refused) {
      thread.joined = false;
      thread.refused = new HubError('revoked', `Access to thread '${threadId}' was revoked.`);
      this.#each(thread, watcher => watcher.onError?.(thread.refused));
    }
  }

  #route(message) {
    const thread = this.#threads.get(message?.threadId);
    if (thread) {
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
let resolveShared;
const sharedReady = new Promise(resolve => { resolveShared = resolve; });

/**
 * Configures and starts the page's shared connection, which every `<rehome-ai-response>` without a client of
 * its own uses. Call it once.
 */
export function connect(options) {
  if (shared) {
    throw new Error('ReHome.connect was already called; the page has one shared connection.');
  }

  shared = new ReHomeClient(options);
  shared.start();
  resolveShared(shared);
  return shared;
}

/** The shared client, once {@link connect} has been called. */
export function sharedClient() {
  return sharedReady;
}
