// Canvases (cytoscape) read their colours from the theme's CSS variables once; this tells them
// when JupyterLab switched theme (it sets data-jp-theme-name on <body>) so they read them again.
const listeners = new Set<() => void>();
let observer: MutationObserver | null = null;

/** Calls `callback` after every theme change; returns the function that stops it. */
export function onThemeChange(callback: () => void): () => void {
  if (typeof MutationObserver === 'undefined' || typeof document === 'undefined') {
    return () => undefined;
  }
  listeners.add(callback);
  if (!observer) {
    observer = new MutationObserver(() => {
      // The theme's stylesheet lands right after the attribute: read the variables a frame later.
      requestAnimationFrame(() => listeners.forEach(l => l()));
    });
    observer.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light']
    });
  }
  return () => {
    listeners.delete(callback);
  };
}
