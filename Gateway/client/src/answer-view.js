// What <rehome-ai-response> paints: the answer through its renderer (text by default, or markdown) at most once per
// animation frame, markers where tokens were lost, a notice line, the optional stop button, and scroll lock (new
// text moves the view only while the reader is at the bottom). Colours, spacing and fonts come from CSS custom
// properties, which pages set on the element or any ancestor.
import { textRenderer } from './text-renderer.js';

const bottomSlackPx = 4;

export const styles = `
:host {
  display: block; overflow-y: auto; overflow-anchor: none; max-height: var(--rehome-max-height, 32rem);
  box-sizing: border-box; padding: var(--rehome-padding, 0);
  color: var(--rehome-color, inherit); background: var(--rehome-background, transparent);
  font-family: var(--rehome-font-family, inherit); font-size: var(--rehome-font-size, inherit);
  line-height: var(--rehome-line-height, 1.55);
}
:host([hidden]) { display: none; }
:host(:focus-visible) { outline: 2px solid var(--rehome-focus-color, var(--rehome-accent-color, Highlight)); outline-offset: 2px; }
[part~="text"] .text, [part~="text"] .chunk { white-space: pre-wrap; overflow-wrap: anywhere; }
[part~="gap"] { color: var(--rehome-gap-color, inherit); opacity: .7; }
[part~="notice"] { margin-top: var(--rehome-spacing, .75em); font-size: .875em; color: var(--rehome-notice-color, inherit); }
[part~="notice"]:empty { display: none; }
[part~="footer"] { position: sticky; bottom: 0; display: flex; justify-content: flex-end; padding-top: var(--rehome-spacing, .75em); }
[part~="stop"] {
  font: inherit; font-size: .875em; cursor: pointer; border-radius: var(--rehome-radius, .4em);
  padding: .3em .9em; border: 1px solid var(--rehome-border-color, currentColor);
  color: var(--rehome-stop-color, inherit); background: var(--rehome-stop-background, var(--rehome-background, Canvas));
}
[part~="stop"][aria-disabled="true"] { cursor: default; opacity: .6; }
[part~="stop"][hidden] { display: none; }
.markdown > div > :first-child { margin-top: 0; }
.markdown :is(p, ul, ol, pre, table, blockquote, h1, h2, h3, h4, h5, h6) { margin: 0 0 var(--rehome-spacing, .75em); }
.markdown :is(h1, h2, h3, h4, h5, h6) { line-height: 1.25; }
.markdown h1 { font-size: 1.4em; } .markdown h2 { font-size: 1.25em; } .markdown h3 { font-size: 1.1em; }
.markdown :is(code, pre) { font-family: var(--rehome-code-font-family, ui-monospace, monospace); font-size: .9em; }
.markdown :not(pre) > code { background: var(--rehome-code-background, rgba(127, 127, 127, .15)); padding: .1em .3em; border-radius: .3em; }
.markdown pre { background: var(--rehome-code-background, rgba(127, 127, 127, .15)); padding: .75em 1em; border-radius: var(--rehome-radius, .4em); overflow-x: auto; }
.markdown table { border-collapse: collapse; }
.markdown :is(th, td) { border: 1px solid var(--rehome-border-color, rgba(127, 127, 127, .4)); padding: .3em .6em; text-align: left; }
.markdown blockquote { border-left: 3px solid var(--rehome-border-color, rgba(127, 127, 127, .4)); padding-left: 1em; }
.markdown a { color: var(--rehome-link-color, var(--rehome-accent-color, LinkText)); }
.markdown img { max-width: 100%; }
`;

export class AnswerView {
  #scroller;
  #textEl;
  #noticeEl;
  #stopButton;
  #renderer;
  #text = '';
  #unpainted = '';
  #frame = 0;
  #followBottom = true;
  #lastTop = 0;

  /**
   * @param {HTMLElement} scroller the element that scrolls (the custom element itself)
   * @param {ShadowRoot} root where the text and the notice go
   */
  constructor(scroller, root) {
    this.#scroller = scroller;
    root.innerHTML = `<style>${styles}</style>`
      + '<div part="text" role="log" aria-live="polite" aria-atomic="false"></div>'
      + '<div part="notice" role="status"></div>'
      + '<div part="footer"><button part="stop" type="button" hidden>Stop</button></div>';
    this.#textEl = root.querySelector('[part~="text"]');
    this.#noticeEl = root.querySelector('[part~="notice"]');
    this.#stopButton = root.querySelector('[part~="stop"]');
    this.useRenderer(textRenderer);
    scroller.addEventListener('scroll', () => this.#onScroll(), { passive: true });
  }

  /** Everything received, including what the next frame paints (the source text, for the markdown renderer). */
  get text() {
    return this.#text;
  }

  get followsBottom() {
    return this.#followBottom;
  }

  get stopButton() {
    return this.#stopButton;
  }

  /** Paints with a renderer made by `factory` from now on; the view is cleared. */
  useRenderer(factory) {
    const renderer = factory();
    if (!renderer?.element || typeof renderer.append !== 'function' || typeof renderer.clear !== 'function') {
      throw new TypeError('A renderer needs an element, append(text) and clear().');
    }

    this.#cancelFrame();
    this.#renderer = renderer;
    this.#textEl.replaceChildren(renderer.element);
    this.#text = '';
    this.#unpainted = '';
  }

  /** Queues text for the next animation frame; however many tokens arrive, the page paints once per frame. */
  append(text) {
    this.#text += text;
    this.#unpainted += text;
    this.#frame ||= requestAnimationFrame(() => this.#paint());
  }

  /** Marks where tokens were lost for good, so the text is never silently partial. */
  markGap(title) {
    this.#flush();
    this.#renderer.gap?.(title);
    this.#text += ' […] ';
  }

  /** Shows this text instead of what is there, leaving a reader who scrolled up where they are. */
  replace(text) {
    const followBottom = this.#followBottom;
    this.clear();
    this.#followBottom = followBottom;
    this.append(text);
  }

  /** Empties the view and follows the bottom again. */
  clear() {
    this.#cancelFrame();
    this.#unpainted = '';
    this.#text = '';
    this.#renderer.clear();
    this.notice('');
    this.#followBottom = true;
  }

  notice(text) {
    this.#noticeEl.textContent = text;
    if (this.#followBottom) {
      // No paint may follow (the answer ended): a reader at the bottom sees the notice without scrolling for it.
      this.#scrollToBottom();
    }
  }

  /** Marks the log busy while text streams in: screen readers wait for it, rather than reading each frame. */
  set busy(busy) {
    this.#textEl.setAttribute('aria-busy', String(busy));
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
      this.#scrollToBottom();
    }
  }

  #scrollToBottom() {
    // Instant even under a page's `scroll-behavior: smooth`, whose steps on the way would read as a reader's scroll.
    this.#scroller.scrollTo({ top: this.#scroller.scrollHeight, behavior: 'instant' });
  }

  #flush() {
    if (this.#unpainted) {
      const text = this.#unpainted;
      this.#unpainted = '';
      this.#renderer.append(text);
    }
  }

  #cancelFrame() {
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
  }

  #onScroll() {
    // The reader scrolled up: leave the view alone, even for a step inside the slack (each small touchpad step would
    // otherwise be undone by the next paint). Back at the bottom: follow again. A view clamped to the bottom by text
    // that got shorter is no step up. A step down that stops short of the bottom changes nothing: it is the view's
    // own scroll overtaken by content that grew before its event (an image or a font loading, a notice), or a reader
    // who has not reached the bottom yet.
    const scroller = this.#scroller;
    const top = scroller.scrollTop;
    const fromBottom = scroller.scrollHeight - top - scroller.clientHeight;
    if (top < this.#lastTop && fromBottom > 1) {
      this.#followBottom = false;
    } else if (fromBottom <= bottomSlackPx) {
      this.#followBottom = true;
    }
    this.#lastTop = top;
  }
}
