// How a node's name is shown under it: at most two short lines, so that a wide row of columns can
// be spaced by its labels' real width; what does not fit is cut with an ellipsis (the full name
// is in the tooltip and the details). Pure, so the layout and the tests use the same lines.

/** Characters per line: about 120 px at the graph's 11 px font. */
export const LABEL_LINE_CHARS = 20;
const LABEL_MAX_LINES = 2;
export const LABEL_FONT_SIZE = 11;
/** Cytoscape's line height for wrapped labels is 1.2 × the font size; the rest is margin. */
const LABEL_LINE_HEIGHT = Math.ceil(LABEL_FONT_SIZE * 1.2) + 1;
/** Gap between a node and its label (the style's text-margin-y). */
export const LABEL_MARGIN = 4;

/** Names break after these, so `relax_structure.py` wraps at `_` rather than mid-word. */
const BREAK_AFTER = /[\s_\-./,:]/;

/**
 * The lines drawn for a label. An index or iteration suffix (`[3]`, `#2`) is kept whole on the
 * last line, since it tells the columns apart.
 */
export function labelLines(label: string, lineChars = LABEL_LINE_CHARS, maxLines = LABEL_MAX_LINES): string[] {
  if (label.length <= lineChars) {
    return [label];
  }
  const suffixAt = label.search(/ (\[[^\]]*\])?( #[\d.]+)?$/);
  const suffix = suffixAt > 0 ? label.slice(suffixAt + 1) : '';
  if (suffix && suffix.length <= lineChars && maxLines > 1) {
    const name = label.slice(0, suffixAt);
    return [...wrap(name, lineChars, maxLines - 1), suffix];
  }
  return wrap(label, lineChars, maxLines);
}

function wrap(text: string, lineChars: number, maxLines: number): string[] {
  const lines: string[] = [];
  let rest = text;
  while (rest.length > lineChars && lines.length < maxLines - 1) {
    let cut = lineChars;
    for (let i = lineChars; i > lineChars / 2; i--) {
      if (BREAK_AFTER.test(rest[i - 1])) {
        cut = i;
        break;
      }
    }
    lines.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  lines.push(rest.length > lineChars ? ellipsizeMiddle(rest, lineChars) : rest);
  return lines;
}

/** Keeps both ends (`relax_st…ture.py`): the extension and the start of a name both tell. */
export function ellipsizeMiddle(text: string, chars: number): string {
  if (text.length <= chars) {
    return text;
  }
  const head = Math.ceil((chars - 1) / 2);
  const tail = chars - 1 - head;
  return `${text.slice(0, head)}…${tail > 0 ? text.slice(-tail) : ''}`;
}

/** Width of text in px at the label font: a fair overestimate where nothing can measure. */
export function estimateTextWidth(text: string): number {
  return Math.ceil(text.length * LABEL_FONT_SIZE * 0.62);
}

export function labelHeight(lines: number): number {
  return lines === 0 ? 0 : LABEL_MARGIN + lines * LABEL_LINE_HEIGHT;
}
