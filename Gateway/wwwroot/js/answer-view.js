// What <rehome-ai-response> paints: plain text appended at most once per animation frame, markers where tokens were
// lost, a notice line, and scroll lock (new text moves the view only while the reader is at the bottom).

const bottomSlackPx = 4;

export const styles = `
:host { display: block; overflow-y: auto; overflow-anchor: none; max-height: 32rem; }
:host([hidden]) { display: none; }
[part~="text"] { white-space: pre-wrap; overflow-wrap: anywhere; }
[part~="gap"] { opacity: .6; }
[part~="notice"] { margin-top: .75em; font-size: .875em; opacity: .8; }
[part~="notice"]:empty { display: none; }
`;

export class AnswerView {
  #scroller;
  #textEl;
  #noticeEl;
  #textNode = null;
  #unpainted = '';
  #frame = 0;
  #followBottom = true;

  /**
   * @param {HTMLElement} scroller the element that scrolls (the custom element itself)
   * @param {ShadowRoot} root where the text and the notice go
   */
  constructor(scroller, root) {
    this.#scroller = scroller;
    root.innerHTML = `<style>${styles}</style><div part="text"></div><div part="notice" role="status"></div>`;
    this.#textEl = root.querySelector('[part~="text"]');
    this.#noticeEl = root.querySelector('[part~="notice"]');
    scroller.addEventListener('scroll', () => this.#onScroll(), { passive: true });
  }

  /** Everything shown, including what the next frame paints. */
  get text() {
    return this.#textEl.textContent + this.#unpainted;
  }

  get followsBottom() {
    return this.#followBottom;
  }

  /** Queues text for the next animation frame; however many tokens arrive, the page paints once per frame. */
  append(text) {
    this.#unpainted += text;
    this.#frame ||= requestAnimationFrame(() => this.#paint());
  }

  /** Marks where tokens were lost for good, so the text is never silently partial. */
  markGap(title) {
    this.#flush();
    const gap = document.createElement('span');
    gap.setAttribute('part', 'gap');
    gap.title = title;
    gap.textContent = ' […] ';
    this.#textEl.append(gap);
    this.#textNode = null;
  }

  /** Shows this text instead of what is there. */
  replace(text) {
    this.clear();
    this.append(text);
  }

  /** Empties the view and follows the bottom again. */
  clear() {
    this.#cancelFrame();
    this.#unpainted = '';
    this.#textEl.replaceChildren();
    this.#textNode = null;
    this.notice('');
    this.#followBottom = true;
  }

  notice(text) {
    this.#noticeEl.textContent = text;
  }

  /** Paints what is queued now and cancels the frame: for an element leaving the page. */
  settle() {
    this.#cancelFrame();
    this.#flush();
  }

  #paint() {
    this.#frame = 0;
    this.#flush();
    if (this.#followBottom) {
      this.#scroller.scrollTop = this.#scroller.scrollHeight;
    }
  }

  #flush() {
    if (!this.#unpainted) {
      return;
    }

    if (!this.#textNode) {
      this.#textNode = document.createTextNode('');
      this.#textEl.append(this.#textNode);
    }

    this.#textNode.appendData(this.#unpainted); // a text node: tokens are never parsed as HTML
    this.#unpainted = '';
  }

  #cancelFrame() {
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
  }

  #onScroll() {
    // The reader scrolled up: leave the view alone. Back at the bottom: follow again.
    const scroller = this.#scroller;
    this.#followBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight <= bottomSlackPx;
  }
}
