// Small DOM helpers. Everything a task, workflow or person wrote reaches the page through
// textContent or attributes, never as HTML.

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

export function button(label: string, className: string, onClick: () => void, title = ''): HTMLButtonElement {
  const node = el('button', `jp-Button jp-mod-styled jp-PerQueue-button ${className}`.trim(), label);
  node.type = 'button';
  if (title) {
    node.title = title;
  }
  node.addEventListener('click', event => {
    event.stopPropagation();
    onClick();
  });
  return node;
}

/** The header of a sidebar: its title and a Refresh button. */
export function sidebarHeader(
  title: string,
  refreshClass: string,
  onRefresh: () => void,
  refreshHint: string
): HTMLDivElement {
  const header = el('div', 'jp-PerQueue-sidebar-header');
  header.appendChild(el('h2', 'jp-PerQueue-sidebar-title', title));
  header.appendChild(button('Refresh', refreshClass, onRefresh, refreshHint));
  return header;
}

export function clear(node: HTMLElement): void {
  while (node.firstChild) {
    node.removeChild(node.firstChild);
  }
}

/** Milliseconds since the epoch (or seconds, as some stores write) to a local time string. */
export function formatTime(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value) || value <= 0) {
    return '—';
  }
  const ms = value < 1e12 ? value * 1000 : value;
  return new Date(ms).toLocaleString();
}

export function formatJson(value: unknown): string {
  if (value === undefined) {
    return '';
  }
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}
