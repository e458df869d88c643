// <rehome-ai-response thread-id="…" [stream-id="…"]>: shows one AI answer as it streams in. With only thread-id it
// follows whatever stream is live on the thread. Painting and scroll lock are AnswerView's.
import { sharedClient } from './rehome-client.js';
import { StreamFollower } from './stream-follower.js';
import { AnswerView } from './answer-view.js';

const endNotices = {
  cancelled: 'The answer was cancelled before it finished.',
  abandoned: 'The answer stopped arriving and was abandoned.',
};

export class ReHomeAiResponse extends HTMLElement {
  static observedAttributes = ['thread-id', 'stream-id'];

  #client = null;
  #activeClient = null;
  #pendingFollow = null;
  #generation = 0;
  #watch = null;
  #follower = null;
  #streamId = null;
  #seen = new Set();
  #view;

  constructor() {
    super();
    this.#view = new AnswerView(this, this.attachShadow({ mode: 'open' }));
  }

  /** The client this element uses; by default the page's shared one (`ReHome.connect`). Set before connecting. */
  get client() {
    return this.#client;
  }

  set client(client) {
    this.#client = client;
    if (this.isConnected) {
      this.#restart();
    }
  }

  /** The text shown so far, including what the next frame will paint. */
  get text() {
    return this.#view.text;
  }

  /** The stream being shown, or null. */
  get streamId() {
    return this.#streamId;
  }

  /** Whether new text scrolls the view (the reader is at the bottom). */
  get followsBottom() {
    return this.#view.followsBottom;
  }

  /** Shows this stream now, e.g. one the page just started, without waiting for its first token. */
  follow(streamId) {
    if (!this.#activeClient) {
      this.#pendingFollow = streamId; // shown once the client is there
    } else if (streamId !== this.#streamId) {
      this.#show(streamId, { fetch: true });
    }
  }

  connectedCallback() {
    this.#restart();
  }

  disconnectedCallback() {
    this.#stop();
  }

  attributeChangedCallback(name, oldValue, newValue) {
    if (oldValue !== newValue && this.isConnected) {
      this.#restart();
    }
  }

  async #restart() {
    this.#stop();
    this.#view.clear();
    this.#setState('idle');
    const generation = this.#generation;
    const threadId = this.getAttribute('thread-id');
    if (!threadId) {
      return;
    }

    this.#setState('connecting');
    const client = this.#client ?? await sharedClient();
    if (generation !== this.#generation) {
      return; // stopped or restarted while waiting
    }

    this.#activeClient = client;
    this.#setState('waiting');
    this.#watch = client.watch(threadId, {
      onMessage: message => this.#onMessage(message),
      onJoined: streams => this.#onJoined(streams),
      onBehind: notice => this.#onBehind(notice),
      onError: error => this.#fail(error),
    });
    if (this.#pendingFollow) {
      this.follow(this.#pendingFollow);
      this.#pendingFollow = null;
    }
  }

  #stop() {
    this.#generation++;
    this.#watch?.close();
    this.#watch = null;
    this.#activeClient = null;
    this.#closeFollower();
    this.#view.settle();
    this.#streamId = null;
    this.#seen.clear();
  }

  #onJoined(streams) {
    const wanted = this.getAttribute('stream-id');
    const listed = wanted ? streams.find(s => s.streamId === wanted) : pickLive(streams);
    const streamId = wanted ?? listed?.streamId;
    if (!streamId) {
      return;
    }

    if (streamId === this.#streamId || (!wanted && this.#seen.has(streamId))) {
      this.#follower?.resync(); // a rejoin after a reconnect: fetch what was missed
    } else {
      // A listed stream with tokens or an end has history to load; an empty open one has none yet.
      this.#show(streamId, { listed, fetch: !listed || listed.lastSequence > 0 || listed.done });
    }
  }

  #onMessage(message) {
    if (message.streamId !== this.#streamId) {
      // Only a stream not seen before takes over; an explicit stream-id never changes.
      if (this.getAttribute('stream-id') || this.#seen.has(message.streamId)) {
        return;
      }

      // Its first message says whether anything came before it: a jump past 1 fetches the rest.
      this.#show(message.streamId, { fetch: false });
    }

    this.#follower?.push(message);
  }

  #onBehind(notice) {
    if (notice.streamId === this.#streamId) {
      this.#follower?.resync(); // fetch from the last token shown: no visible break
    } else if (!this.getAttribute('stream-id') && !this.#seen.has(notice.streamId)) {
      this.#show(notice.streamId, { fetch: true }); // a new stream whose first messages were dropped
    }
  }

  #show(streamId, { listed = null, fetch }) {
    this.#closeFollower();
    this.#view.clear();
    this.#streamId = streamId;
    this.#seen.add(streamId);
    this.#follower = new StreamFollower(this.#activeClient, streamId, {
      onTokens: tokens => this.#onTokens(tokens),
      onHistoryLost: missing => this.#onHistoryLost(missing),
      onEnd: end => this.#onEnd(end),
      onError: error => this.#onFollowError(error, listed),
    });
    this.#setState(listed?.done ? 'loading' : 'streaming');
    this.#emit('rehome-stream', { threadId: this.getAttribute('thread-id'), streamId });
    if (fetch) {
      this.#follower.resync();
    }
  }

  #onTokens(tokens) {
    this.#view.append(tokens.map(t => t.token).join(''));
    const threadId = this.getAttribute('thread-id');
    for (const { sequence, token } of tokens) {
      this.#emit('rehome-token', { threadId, streamId: this.#streamId, sequence, token });
    }
  }

  #onHistoryLost(missing) {
    // Never a silently partial text: mark the hole where it is, and say why.
    this.#view.markGap(`Tokens ${missing.from}–${missing.to} could not be replayed.`);
    this.#view.notice('Part of this answer could not be replayed; the full text will replace it when the answer finishes.');
    this.#emit('rehome-incomplete', { streamId: this.#streamId, ...missing });
  }

  #onEnd(end) {
    this.#follower = null;
    const whole = end.complete || end.fullResponse != null;
    if (!end.complete && end.fullResponse != null) {
      // Tokens were lost for good: the done event's full response replaces the text with its hole.
      this.#view.replace(end.fullResponse);
    }

    this.#view.notice(whole
      ? endNotices[end.reason] ?? ''
      : 'Part of this answer could not be replayed, and the full text is not available.');

    this.#setState('done');
    this.#emit('rehome-done', {
      threadId: this.getAttribute('thread-id'),
      streamId: this.#streamId,
      reason: end.reason,
      fullResponse: end.fullResponse,
      complete: whole,
      text: this.text,
    });

    if (this.getAttribute('stream-id')) {
      // Nothing more will come for this element.
      this.#watch?.close();
      this.#watch = null;
    }
  }

  #onFollowError(error, listed) {
    if (error.code === 'stream_not_found' && !this.getAttribute('stream-id') && listed?.done) {
      // An old answer the thread still listed has expired: show nothing rather than an error.
      this.#closeFollower();
      this.#streamId = null;
      this.#setState('waiting');
      return;
    }

    if (error.code === 'stream_not_found') {
      this.#setState('waiting'); // not started yet; its first token will arrive on the thread
      return;
    }

    this.#fail(error);
  }

  #fail(error) {
    this.#closeFollower();
    this.#view.notice(error.code === 'forbidden' || error.code === 'revoked' ? 'You may not watch this conversation.' : 'The answer could not be loaded.');
    this.#setState('error');
    this.#emit('rehome-error', { code: error.code ?? 'error', message: error.message });
  }

  #closeFollower() {
    this.#follower?.close();
    this.#follower = null;
  }

  #setState(state) {
    if (state) {
      this.setAttribute('state', state);
      this.toggleAttribute('aria-busy', state === 'streaming' || state === 'loading');
    }
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}

/** The live stream of a thread: its newest open stream, else its newest stream. */
function pickLive(streams) {
  const newestFirst = [...streams].sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt));
  return newestFirst.find(s => !s.done) ?? newestFirst[0];
}
