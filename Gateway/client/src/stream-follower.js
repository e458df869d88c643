// One response stream, put in order: messages pushed live or fetched with GetTokens come in; each token comes out
// once, in sequence order, and then the end. A sequence jump is fetched rather than shown with a hole, tokens that
// arrive early wait in a buffer, and a stream that goes quiet is asked where it stands.
import { HubError } from './rehome-client.js';

/** After a fetch that failed with a fault while the stream's end waits on it, ask again this soon, then less often. */
const firstRetryMs = 500;

export class StreamFollower {
  #client;
  #handlers;
  #last = 0;
  #early = new Map();
  #end = null;
  #fetching = false;
  #fetchAgain = false;
  #closed = false;
  #incomplete = false;
  #heardAt = performance.now();
  #probe;
  #retry = null;
  #retryMs = firstRetryMs;

  /**
   * @param {import('./rehome-client.js').ReHomeClient} client
   * @param {string} streamId
   * @param {object} handlers
   * @param {(tokens: {sequence: number, token: string}[]) => void} handlers.onTokens the next tokens, in order, each once
   * @param {(missing: {from: number, to: number}) => void} [handlers.onHistoryLost] tokens that can no longer be replayed
   * @param {(end: {reason, fullResponse, detail, lastSequence, complete}) => void} handlers.onEnd the stream ended;
   *   `complete` is false when some tokens were never received (then only `fullResponse`, if any, has the whole text)
   * @param {(error: Error) => void} [handlers.onError] a refusal such as `forbidden` or `stream_not_found`
   */
  constructor(client, streamId, handlers) {
    this.#client = client;
    this.streamId = streamId;
    this.#handlers = handlers;
    const every = Math.max(250, client.silenceProbeMs / 2);
    this.#probe = setInterval(() => this.#probeIfSilent(), every);
  }

  /** The last sequence shown. */
  get lastSequence() {
    return this.#last;
  }

  get closed() {
    return this.#closed;
  }

  /** A message of this stream from the hub: a token, or the done event. */
  push(message) {
    if (this.#closed) {
      return;
    }

    this.#heardAt = performance.now();
    if (message.done) {
      this.#end ??= message;
      this.#finishOrFetch();
    } else if (message.sequence === this.#last + 1) {
      this.#last = message.sequence;
      this.#emit([{ sequence: message.sequence, token: message.token }]);
      this.#drainEarly();
      this.#finishOrFetch();
    } else if (message.sequence > this.#last + 1) {
      // A jump: something in between was lost. Keep this one, fetch the rest.
      this.#early.set(message.sequence, message.token);
      this.#fetch();
    }
    // At or below #last: already shown.
  }

  /** Fetches whatever came after the last shown token: after a reconnect, or when the thread lists progress. */
  resync() {
    if (!this.#closed) {
      this.#fetch();
    }
  }

  /** Stops timers and drops buffers; nothing is reported after this. */
  close() {
    this.#closed = true;
    clearInterval(this.#probe);
    clearTimeout(this.#retry);
    this.#early.clear();
  }

  #finishOrFetch() {
    if (this.#closed) {
      return; // the page closed it from a handler
    }

    if (this.#end && this.#last >= this.#end.sequence) {
      this.#finish();
    } else if (this.#end) {
      this.#fetch();
    }
  }

  async #fetch() {
    if (this.#fetching) {
      this.#fetchAgain = true;
      return;
    }

    this.#fetching = true;
    try {
      do {
        this.#fetchAgain = false;
        const page = await this.#client.getTokens(this.streamId, this.#last);
        if (this.#closed) {
          return;
        }

        this.#heardAt = performance.now();
        this.#retryMs = firstRetryMs;
        this.#apply(page);
      } while (this.#fetchAgain && !this.#closed);
    } catch (error) {
      this.#fetchFailed(error);
    } finally {
      this.#fetching = false;
    }
  }

  #apply(page) {
    if (!page.complete && page.firstSequence > this.#last + 1) {
      // The stream no longer keeps these tokens; nobody can show them. Say so rather than close the gap silently.
      this.#incomplete = true;
      this.#handlers.onHistoryLost?.({ from: this.#last + 1, to: page.firstSequence - 1 });
      this.#last = page.firstSequence - 1;
      if (this.#closed) {
        return; // the page closed it from that handler
      }
    }

    const tokens = [];
    page.tokens.forEach((token, i) => {
      const sequence = page.firstSequence + i;
      if (sequence === this.#last + 1) {
        tokens.push({ sequence, token });
        this.#last = sequence;
      }
    });
    this.#emit(tokens);
    this.#drainEarly();
    if (this.#closed) {
      return;
    }

    if (page.done) {
      this.#end ??= { sequence: page.lastSequence, reason: page.reason, fullResponse: page.fullResponse, detail: page.detail };
    }

    if (this.#end && this.#last >= this.#end.sequence) {
      this.#finish();
    }
  }

  #fetchFailed(error) {
    if (this.#closed) {
      return;
    }

    if (error instanceof HubError && error.isRefusal) {
      if (error.code === 'stream_not_found' && this.#end) {
        // Its history expired, but the done event said how it ended.
        this.#incomplete = true;
        this.#finish();
        return;
      }

      this.#handlers.onError?.(error);
      return;
    }

    // Anything else is a fault (a lost connection, a cluster that did not answer in time): the reconnect resyncs,
    // and the silence probe tries again meanwhile. An end or tokens waiting on this fetch are asked for sooner.
    if (this.#end || this.#early.size > 0 || this.#fetchAgain) {
      this.#retry ??= setTimeout(() => {
        this.#retry = null;
        this.#fetch();
      }, this.#retryMs);
      this.#retryMs = Math.min(this.#retryMs * 2, this.#client.silenceProbeMs);
    }
  }

  #drainEarly() {
    if (this.#closed) {
      return;
    }

    const tokens = [];
    while (this.#early.has(this.#last + 1)) {
      const sequence = this.#last + 1;
      tokens.push({ sequence, token: this.#early.get(sequence) });
      this.#early.delete(sequence);
      this.#last = sequence;
    }

    for (const sequence of this.#early.keys()) {
      if (sequence <= this.#last) {
        this.#early.delete(sequence);
      }
    }

    this.#emit(tokens);
  }

  #emit(tokens) {
    if (tokens.length > 0 && !this.#closed) {
      this.#handlers.onTokens(tokens);
    }
  }

  #probeIfSilent() {
    // Covers a lost done event or a lost last token: the hub would have nothing more to push.
    if (!this.#closed && performance.now() - this.#heardAt >= this.#client.silenceProbeMs) {
      this.#heardAt = performance.now();
      this.#fetch();
    }
  }

  #finish() {
    if (this.#closed) {
      return;
    }

    const end = this.#end;
    this.close();
    this.#handlers.onEnd({
      reason: end.reason ?? null,
      fullResponse: end.fullResponse ?? null,
      detail: end.detail ?? null,
      lastSequence: this.#last,
      complete: !this.#incomplete,
    });
  }
}
