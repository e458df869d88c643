// <rehome-ai-response thread-id="…" [stream-id="…"] [renderer="markdown"] [stop-button]>: shows one AI answer as it
// streams in. With only thread-id it follows whatever stream is live on the thread. Painting and scroll lock are
// AnswerView's; how text becomes DOM is the renderer's.
import { sharedClient, onSharedClientChange } from './rehome-client.js';
import { StreamFollower } from './stream-follower.js';
import { AnswerView } from './answer-view.js';
import { rendererNamed } from './renderers.js';

const failNotices = {
  forbidden: 'You may not watch this conversation.',
  revoked: 'You may not watch this conversation.',
  quota_exceeded: 'Too many conversations are open here; this one starts when another closes.',
  // Only for a stream that had shown tokens: one never seen is waited for, as not started yet.
  stream_not_found: 'This answer is no longer kept; only the part shown was received.',
};

const endNotices = {
  cancelled: 'The answer was cancelled before it finished.',
  abandoned: 'The answer stopped arriving and was abandoned.',
};

/** "stopped by alice: too long" → "Stopped by alice: too long." */
function cancelNotice(detail) {
  return detail?.startsWith('stopped by ') ? `S${detail.slice(1)}.` : endNotices.cancelled;
}

export class ReHomeAiResponse extends HTMLElement {
  static observedAttributes = ['thread-id', 'stream-id', 'renderer', 'stop-button'];

  #client = null;
  #rendererFactory = null;
  #unsubscribeShared = null;
  #stopping = null; // { streamId, done } of a stop still in flight
  #changedWhileOut = false; // an attribute or property changed while the element was out of the page: it starts afresh on return
  #started = false; // restarted since the last stop: a move (out and back in one task) keeps it as it is
  #activeClient = null;
  #pendingFollow = null;
  #generation = 0;
  #watch = null;
  #follower = null;
  #streamId = null;
  #seen = new Set();
  /** The stream the page asked for with follow(), while it is shown and no join has listed it yet. */
  #followed = null;
  /** The join was refused with quota_exceeded: shown as an error until the client joins it. */
  #overQuota = false;
  /** What the shown answer's end says (a cancel, an abandoned answer), or ''. */
  #endNotice = '';
  #view;

  constructor() {
    super();
    this.#view = new AnswerView(this, this.attachShadow({ mode: 'open' }));
    this.#view.stopButton.addEventListener('click', () => this.stop().catch(() => { /* reported as rehome-error */ }));
  }

  /**
   * How text becomes DOM: a factory `() => renderer` (see `registerRenderer`), or null for the `renderer`
   * attribute's (`text`, the default, or `markdown`). Setting it starts the shown answer over.
   */
  get renderer() {
    return this.#rendererFactory;
  }

  set renderer(factory) {
    this.#rendererFactory = factory;
    if (this.isConnected) {
      this.#restart();
    } else {
      this.#changedWhileOut = true;
    }
  }

  /** The client this element uses; by default the page's shared one (`ReHome.connect`). Set before connecting. */
  get client() {
    return this.#client;
  }

  set client(client) {
    this.#client = client;
    if (this.isConnected) {
      this.#restart();
    } else {
      this.#changedWhileOut = true;
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
      this.#show(streamId, { fetch: true, followed: true });
    }
  }

  /**
   * Stops the shown stream for everyone watching it (`CancelStream`). Resolves with `{ streamId, cancelled, reason,
   * detail }`: `cancelled` is false when it had already ended. The done event that follows ends the answer as usual.
   * @param {string} [reason] shown to the other watchers after "stopped by <user>: "
   */
  async stop(reason = null) {
    const streamId = this.#streamId;
    if (!streamId || !this.#activeClient) {
      return null;
    }

    // Per stream: a stop still retrying (a reconnect, a failover) must not show on, or stand in for, the next one.
    if (this.#stopping?.streamId !== streamId) {
      const stopping = { streamId, done: null };
      stopping.done = this.#activeClient.cancelStream(streamId, reason)
        .catch(error => {
          this.#emit('rehome-error', { code: error.code ?? 'error', message: error.message });
          throw error;
        })
        .finally(() => {
          if (this.#stopping === stopping) {
            this.#stopping = null;
          }
          this.#showStop();
        });
      this.#stopping = stopping;
    }
    this.#showStop();
    return this.#stopping.done;
  }

  connectedCallback() {
    // A scroll box the keyboard can reach, named for assistive technology, unless the page said otherwise.
    for (const [name, value] of [['tabindex', '0'], ['role', 'region'], ['aria-label', 'AI answer']]) {
      if (!this.hasAttribute(name)) {
        this.setAttribute(name, value);
      }
    }

    this.#unsubscribeShared = onSharedClientChange(() => !this.#client && this.#restart());
    if (!this.#started || this.#changedWhileOut) {
      this.#restart();
    } else {
      // Only moved (a list reordered, a parent changed): it goes on as it was, its text and scroll kept.
      this.#showStop();
    }
    this.#changedWhileOut = false;
  }

  disconnectedCallback() {
    this.#unsubscribeShared?.();
    this.#unsubscribeShared = null;
    // A move disconnects and connects again in the same task: stop only if the element is still out after it.
    queueMicrotask(() => {
      if (!this.isConnected) {
        this.#stop();
      }
    });
  }

  attributeChangedCallback(name, oldValue, newValue) {
    if (oldValue === newValue) {
      return;
    }

    if (!this.isConnected) {
      // The stop button needs no restart: its state is set again on the way in.
      this.#changedWhileOut ||= name !== 'stop-button';
      return;
    }

    if (name === 'stop-button') {
      this.#showStop();
    } else {
      this.#restart();
    }
  }

  async #restart() {
    this.#stop();
    this.#started = true;
    this.#view.useRenderer(this.#rendererFactory ?? rendererNamed(this.getAttribute('renderer')));
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
      onPresence: presence => this.#emit('rehome-presence', presence),
    });
    if (this.#pendingFollow) {
      this.follow(this.#pendingFollow);
      this.#pendingFollow = null;
    }
  }

  #stop() {
    this.#generation++;
    this.#started = false;
    this.#watch?.close();
    this.#watch = null;
    this.#activeClient = null;
    this.#closeFollower();
    this.#view.settle();
    this.#streamId = null;
    this.#seen.clear();
    this.#followed = null;
    this.#overQuota = false;
  }

  #onJoined(streams) {
    if (this.#overQuota) {
      // Another thread was left, or the connection is new: the place this one waited for is there. Unless the shown
      // answer ended meanwhile (its follower kept asking), it goes on where it was.
      this.#overQuota = false;
      if (this.getAttribute('state') === 'error') {
        this.#view.notice('');
        this.#setState(this.#follower ? 'streaming' : this.#streamId ? 'done' : 'waiting');
      } else if (this.getAttribute('state') === 'done') {
        this.#view.notice(this.#endNotice); // it ended while over the quota
      }
    }

    const wanted = this.getAttribute('stream-id');
    // A stream the page follows that the join does not list has not started yet, or started after the list was
    // read: it stays, rather than an older listed one taking the view. Once listed, the usual rules apply.
    if (streams.some(s => s.streamId === this.#followed)) {
      this.#followed = null;
    }

    const followed = !wanted && this.#followed ? this.#followed : null;
    const listed = wanted ? streams.find(s => s.streamId === wanted) : followed ? null : pickLive(streams);
    const streamId = wanted ?? followed ?? listed?.streamId;
    const seenBefore = this.#seen.has(streamId);
    if (!wanted) {
      // Every stream the join lists is known now: a later message of an older one must not take the view over.
      for (const stream of streams) {
        this.#seen.add(stream.streamId);
      }
    }

    if (!streamId) {
      return;
    }

    if (streamId === this.#streamId || (!wanted && seenBefore)) {
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

  #show(streamId, { listed = null, fetch, followed = false }) {
    this.#closeFollower();
    this.#view.clear();
    this.#streamId = streamId;
    this.#seen.add(streamId);
    this.#followed = followed ? streamId : null;
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
    if (this.getAttribute('state') === 'waiting') {
      this.#setState('streaming'); // a stream that was not started yet when it was asked for
    }

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
    this.#followed = null; // ended: a newer stream listed by a join may take the view
    const whole = end.complete || end.fullResponse != null;
    if (!end.complete && end.fullResponse != null) {
      // Tokens were lost for good: the done event's full response replaces the text with its hole.
      this.#view.replace(end.fullResponse);
    }

    this.#endNotice = !whole
      ? 'Part of this answer could not be replayed, and the full text is not available.'
      : end.reason === 'cancelled' ? cancelNotice(end.detail) : endNotices[end.reason] ?? '';
    // Still over the quota: the thread is not joined, so a newer answer would not show. Say so until it is.
    this.#view.notice(this.#overQuota ? failNotices.quota_exceeded : this.#endNotice);

    this.#setState('done');
    this.#emit('rehome-done', {
      threadId: this.getAttribute('thread-id'),
      streamId: this.#streamId,
      reason: end.reason,
      detail: end.detail,
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

    if (error.code === 'stream_not_found' && !(this.#follower?.lastSequence > 0)) {
      this.#setState('waiting'); // not started yet; its first token will arrive on the thread
      return;
    }

    this.#fail(error);
  }

  #fail(error) {
    // Of the failures, only the quota passes: the client joins the thread once a place frees up.
    this.#overQuota = error.code === 'quota_exceeded';
    if (!this.#overQuota) {
      // A quota refusal keeps the shown stream's follower: its probe keeps the text current, and the join resumes it.
      this.#closeFollower();
    }

    this.#view.notice(failNotices[error.code] ?? 'The answer could not be loaded.');
    this.#setState('error');
    this.#emit('rehome-error', { code: error.code ?? 'error', message: error.message });
  }

  #closeFollower() {
    this.#follower?.close();
    this.#follower = null;
  }

  #setState(state) {
    if (state) {
      const busy = state === 'streaming' || state === 'loading';
      this.setAttribute('state', state);
      // On the live region, where assistive technology reads it; on the element too, for the page's styles.
      this.setAttribute('aria-busy', String(busy));
      this.#view.busy = busy;
      this.#showStop();
    }
  }

  /** The stop button shows while a stream the element shows is open, when the page asked for it. */
  #showStop() {
    const button = this.#view.stopButton;
    const hidden = !this.hasAttribute('stop-button') || this.getAttribute('state') !== 'streaming';
    if (hidden && this.shadowRoot.activeElement === button) {
      // A hidden button drops its focus to the page's body: a keyboard user stays on the answer instead.
      this.focus();
    }
    const stopping = this.#stopping?.streamId === this.#streamId;
    button.hidden = hidden;
    // aria-disabled, not disabled, which would drop the focus of the keyboard user who just pressed it; pressing it
    // again while the stop is on its way asks nothing more (stop() returns the same promise).
    button.setAttribute('aria-disabled', String(stopping));
    button.textContent = stopping ? 'Stopping…' : 'Stop';
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
