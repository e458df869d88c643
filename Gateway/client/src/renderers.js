// Renderers by name, for <rehome-ai-response renderer="…">. `text` is the default.
import { textRenderer } from './text-renderer.js';
import { markdownRenderer } from './markdown-renderer.js';

const renderers = new Map([
  ['text', textRenderer],
  ['markdown', markdownRenderer],
]);

/** Adds a renderer that `<rehome-ai-response renderer="name">` can use. */
export function registerRenderer(name, factory) {
  if (typeof factory !== 'function') {
    throw new TypeError('registerRenderer needs a factory function that returns a renderer.');
  }

  renderers.set(name, factory);
}

/** The factory registered under `name`, or the text renderer when there is none. */
export function rendererNamed(name) {
  return renderers.get(name ?? 'text') ?? textRenderer;
}

export { textRenderer, markdownRenderer };
