// The default renderer: the answer as plain text, never parsed as HTML. The text is split into blocks that end at
// a line break once they pass a couple of thousand characters, so a frame lays out only the block still growing,
// not the whole answer (one 200,000-character text node cost 33 ms a frame).

/** Characters after which the current block ends at its next line break. */
export const textChunkChars = 2048;

/** @returns {import('../types/index.d.ts').AnswerRenderer} */
export function textRenderer() {
  const element = document.createElement('div');
  element.className = 'text';
  let block = null;
  let blockLength = 0;
  let node = null;

  function write(text) {
    if (!block) {
      block = document.createElement('div');
      block.className = 'chunk';
      blockLength = 0;
      element.append(block);
    }

    if (!node) {
      node = document.createTextNode('');
      block.append(node);
    }

    node.appendData(text); // a text node: tokens are never parsed as HTML
    blockLength += text.length;
  }

  return {
    element,
    append(text) {
      while (text) {
        // The first line break at or past the block's size limit ends the block.
        const cut = text.indexOf('\n', Math.max(0, textChunkChars - blockLength - 1));
        if (cut < 0) {
          write(text);
          return;
        }

        // A block ending in a line break renders exactly as the same text in one block would.
        write(text.slice(0, cut + 1));
        text = text.slice(cut + 1);
        block = null;
        node = null;
      }
    },
    gap(title) {
      write('');
      const gap = document.createElement('span');
      gap.setAttribute('part', 'gap');
      gap.title = title;
      gap.textContent = ' […] ';
      block.append(gap);
      node = null;
    },
    clear() {
      element.replaceChildren();
      block = null;
      node = null;
    },
  };
}
