// Right-clicks on graph nodes. A graph view (panel or notebook widget) marks its canvas with the
// entry under the pointer when a context menu opens; JupyterLab's context menu shows the entry
// items where that mark is, and the commands, called with `fromContextMenu`, read it back.
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

/** The selector of JupyterLab context-menu items that act on an entry. */
export const CONTEXT_ENTRY_SELECTOR = '[data-context-entry-id]';

/** Marks `host` with the entry a context menu opens on (null: no entry there). */
export function markContextEntry(host: HTMLElement, entry: { workflowId: number; entryId: number } | null): void {
  if (entry) {
    host.dataset.contextEntryId = String(entry.entryId);
    host.dataset.contextWorkflowId = String(entry.workflowId);
  } else {
    delete host.dataset.contextEntryId;
    delete host.dataset.contextWorkflowId;
  }
}

/**
 * The arguments of a command with the right-clicked entry filled in when the command comes from
 * the context menu; other arguments pass unchanged.
 */
export function withContextEntry(app: JupyterFrontEnd, args: ReadonlyPartialJSONObject): ReadonlyPartialJSONObject {
  if (!args.fromContextMenu || typeof args.entryId === 'number') {
    return args;
  }
  const hit = app.contextMenuHitTest(node => node.dataset.contextEntryId !== undefined);
  if (!hit) {
    return args;
  }
  return { ...args, entryId: Number(hit.dataset.contextEntryId), workflowId: Number(hit.dataset.contextWorkflowId) };
}
