// Plain-text tables for the terminal, and text made safe to print there.

/**
 * Terminal control characters (C0 but newline and tab, DEL, C1) shown as escapes, so that a
 * name or an output holding an escape sequence is printed, never obeyed by the terminal.
 */
export function printable(text: string, keepLayout = true): string {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, c => {
    if (keepLayout && (c === '\n' || c === '\t')) return c;
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    const code = c.charCodeAt(0);
    return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

export function table(header: string[], rows: (string | number)[][]): string {
  // A cell is one line: its newlines and tabs are shown as escapes too.
  const cells = [header, ...rows.map(r => r.map(c => printable(String(c), false)))];
  const widths = header.map((_, i) => cells.reduce((w, r) => Math.max(w, (r[i] ?? '').length), 0));
  return cells
    .map(r =>
      r
        .map((c, i) => (c ?? '').padEnd(widths[i]))
        .join('  ')
        .trimEnd()
    )
    .join('\n');
}
