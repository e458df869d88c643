// Markdown while it streams: the answer's blocks (paragraphs, lists, code fences, tables…) are parsed with marked,
// and every block but the last is final once a later block has begun. Final blocks are rendered once and never
// touched again; each frame re-parses only the block still growing and patches its DOM in place, so a code fence
// keeps its element while lines arrive. Everything goes through DOMPurify, and raw HTML in the markdown is shown as
// text: a model's output never becomes markup it did not mean, let alone script.
import { Marked } from 'marked';
import createDOMPurify from 'dompurify';

const escapes = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = text => text.replace(/[&<>"']/g, c => escapes[c]);

const marked = new Marked({
  gfm: true,
  renderer: {
    // Raw HTML, block or inline, is shown as the text it is.
    html: ({ text }) => escapeHtml(text),
    // An image would load as soon as its markdown is complete, with no click: a model led on by text it read (a web
    // page, a document) could send the conversation to any server in an image's address. It is a link to the image.
    // Inside a link (a badge) it is that link's text: links do not nest (markImagesInLinks).
    image: ({ href, text, inLink }) => inLink ? escapeHtml(text) : `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>`,
  },
});

function markImagesInLinks(token) {
  if (token.type === 'link') {
    for (const inner of token.tokens ?? []) {
      if (inner.type === 'image') {
        inner.inLink = true;
      }
    }
  }
}

let purifier = null;

function purify() {
  if (!purifier) {
    // An instance of its own, so the page's DOMPurify settings and hooks are not touched.
    purifier = createDOMPurify(window);
    purifier.addHook('afterSanitizeAttributes', node => {
      if (node.tagName === 'A' && node.hasAttribute('href')) {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer nofollow');
      }
    });
  }

  return purifier;
}

const sanitizeOptions = {
  RETURN_DOM_FRAGMENT: true,
  FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'option'],
  FORBID_ATTR: ['style'],
};

function render(tokens, links) {
  tokens.links = links;
  marked.walkTokens(tokens, markImagesInLinks);
  return purify().sanitize(marked.parser(tokens), sanitizeOptions);
}

/** @returns {import('../types/index.d.ts').AnswerRenderer} */
export function markdownRenderer() {
  const element = document.createElement('div');
  element.className = 'markdown';
  const done = document.createElement('div');
  const growing = document.createElement('div');
  done.className = 'done';
  growing.className = 'growing';
  element.append(done, growing);
  let source = ''; // with line breaks as \n only, as marked reads them, so its blocks' raw text is a prefix of it
  let heldCr = false; // a \r that ended the last text: \r\n split across tokens is one line break
  let settled = 0; // source before this offset is in final blocks
  let links = {};

  function add(text) {
    let lines = (heldCr ? '\r' : '') + text;
    heldCr = lines.endsWith('\r');
    if (heldCr) {
      lines = lines.slice(0, -1);
    }

    source += lines.replace(/\r\n?/g, '\n');
  }

  function paint() {
    const tail = source.slice(settled);
    const lexer = new marked.Lexer();
    Object.assign(lexer.tokens.links, links);
    const tokens = lexer.lex(tail);

    // Every block before the last one that is not blank space is final: a later block has begun.
    let last = tokens.length - 1;
    while (last > 0 && tokens[last].type === 'space') {
      last--;
    }

    let first = 0;
    const final = tokens.slice(0, Math.max(0, last));
    const raw = final.map(t => t.raw).join('');
    if (final.length > 0 && tail.startsWith(raw)) {
      links = { ...links, ...tokens.links };
      done.append(render(final, links));
      settled += raw.length;
      first = final.length;
    }

    morph(growing, render(tokens.slice(first), { ...links, ...tokens.links }));
  }

  return {
    element,
    append(text) {
      add(text);
      paint();
    },
    gap(title) {
      // A hole in the text: everything so far becomes final, the marker follows it.
      paint();
      done.append(...growing.childNodes);
      const gap = document.createElement('p');
      gap.setAttribute('part', 'gap');
      gap.title = title;
      gap.textContent = '[…]';
      done.append(gap);
      source = '';
      heldCr = false;
      settled = 0;
    },
    clear() {
      done.replaceChildren();
      growing.replaceChildren();
      source = '';
      heldCr = false;
      settled = 0;
      links = {};
    },
  };
}

/** Makes `target`'s children look like `source`'s, keeping every node whose type and tag still match. */
export function morph(target, source) {
  const wanted = [...source.childNodes];
  wanted.forEach((want, i) => {
    const have = target.childNodes[i];
    if (!have) {
      target.append(want);
    } else if (have.nodeType !== want.nodeType || have.nodeName !== want.nodeName) {
      have.replaceWith(want);
    } else if (have.nodeType === Node.ELEMENT_NODE) {
      syncAttributes(have, want);
      morph(have, want);
    } else if (have.data !== want.data) {
      have.data = want.data;
    }
  });

  while (target.childNodes.length > wanted.length) {
    target.lastChild.remove();
  }
}

function syncAttributes(have, want) {
  for (const { name } of [...have.attributes]) {
    if (!want.hasAttribute(name)) {
      have.removeAttribute(name);
    }
  }

  for (const { name, value } of want.attributes) {
    if (have.getAttribute(name) !== value) {
      have.setAttribute(name, value);
    }
  }
}
