// PerQueue's get_parent_data read from the store alone: the CLI answers it without a running
// bridge, and the bridge answers it for finished workflows without making them active again.
import { Engine } from '../../core/engine.js';
import { ActionError } from '../../core/errors.js';
import type { JsonObject } from '../../core/spec.js';
import type { Store } from '../store/store.js';

/** An entry's parents' merged data as it reaches the entry (ports applied), from a scratch engine. */
export function parentDataFromStore(store: Pick<Store, 'node' | 'workflowRecord' | 'nodesOf' | 'edgesOf'>, id: number): JsonObject {
  const n = store.node(id);
  if (!n) throw new ActionError(`no entry ${id}`);
  const record = store.workflowRecord(n.workflowId);
  if (!record) throw new ActionError(`no workflow ${n.workflowId}`);
  const scratch = new Engine();
  scratch.load(record, store.nodesOf(n.workflowId), store.edgesOf(n.workflowId));
  return scratch.parentDataOf(id);
}
