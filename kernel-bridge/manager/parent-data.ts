// PerQueue's get_parent_data read from the store alone: the CLI answers it without a running
// bridge, and the bridge answers it for finished workflows without making them active again.
import { Engine } from '../../core/engine.js';
import { ActionError } from '../../core/errors.js';
import { receivedKwargs } from '../../core/merge.js';
import type { JsonObject } from '../../core/spec.js';
import type { Store } from '../store/store.js';

/** An entry's parents' merged data as it reaches the entry (ports applied), from a scratch engine. */
export function parentDataFromStore(
  store: Pick<Store, 'node' | 'workflowRecord' | 'nodesOf' | 'edgesOf'>,
  id: number
): JsonObject {
  const n = store.node(id);
  if (!n) throw new ActionError(`no entry ${id}`);
  const record = store.workflowRecord(n.workflowId);
  if (!record) throw new ActionError(`no workflow ${n.workflowId}`);
  const scratch = new Engine();
  scratch.load(record, store.nodesOf(n.workflowId), store.edgesOf(n.workflowId));
  return scratch.parentDataOf(id);
}

/**
 * The keyword arguments an entry is (or was) called with, computed as for its run: for a task or
 * human step the engine's own input, for a placeholder its args and parents' data. `engine` is
 * the live engine when it holds the entry; otherwise one is loaded from the store.
 */
export function receivedKwargsOf(
  store: Pick<Store, 'node' | 'workflowRecord' | 'nodesOf' | 'edgesOf'>,
  id: number,
  live: Engine | null
): JsonObject {
  let engine = live;
  if (!engine) {
    const n = store.node(id);
    if (!n) throw new ActionError(`no entry ${id}`);
    const record = store.workflowRecord(n.workflowId);
    if (!record) throw new ActionError(`no workflow ${n.workflowId}`);
    engine = new Engine();
    engine.load(record, store.nodesOf(n.workflowId), store.edgesOf(n.workflowId));
  }
  const n = engine.node(id);
  if (!n) throw new ActionError(`no entry ${id}`);
  if (n.kind === 'task' || n.kind === 'manual') return engine.inputFor(id).kwargs;
  return receivedKwargs(n.args, engine.parentDataOf(id), n.index, n.iteration);
}
