// A workflow with a CyclicalGroup, as the engine stores it, for the graph's tests.
import type { PerQueue } from '../../tokens';
import { node } from '../../__tests__/fakeBridge';

/** The toggle that ends iteration `k` of the CyclicalGroup with id 2 (template 2). */
export function toggleNode(id: number, name: string, k: number, state: PerQueue.State = 'succeeded'): PerQueue.Node {
  return node(id, 1, state, {
    name,
    kind: 'toggle',
    templateId: 2,
    iteration: [k],
    groupId: 2,
    cycleId: 2,
    cycleIteration: k
  });
}

/**
 * start -> CyclicalGroup `loop` (id 2) run `iterations` times -> end; each iteration is select ->
 * train -> the toggle `loop #k`. With `width`, train is a width group of that many columns. With
 * `failing`, the loop is still running: the last column of its last iteration failed, and that
 * iteration's toggle is blocked. Everything else succeeded.
 */
export function cycleWorkflow(
  iterations: number,
  opts: { width?: number; failing?: boolean } = {}
): PerQueue.WorkflowDetail {
  const failing = opts.failing ?? false;
  const columns = opts.width ?? 1;
  const nodes: PerQueue.Node[] = [
    node(1, 1, 'succeeded', { name: 'start' }),
    node(2, 1, failing ? 'running' : 'succeeded', { name: 'loop', kind: 'cyclical', templateId: 2 })
  ];
  const edges: PerQueue.Edge[] = [{ parent: 1, child: 2, join: null }];
  let gate = 2;
  for (let k = 0; k < iterations; k++) {
    const base = 100 * (k + 1);
    const toggle = base + 9;
    const stopped = failing && k === iterations - 1;
    nodes.push(node(base, 1, 'succeeded', { name: 'select', templateId: 3, iteration: [k], groupId: 2 }));
    edges.push({ parent: gate, child: base, join: null });
    for (let i = 0; i < columns; i++) {
      const column = opts.width === undefined ? {} : { index: [i] };
      nodes.push(
        node(base + 1 + i, 1, stopped && i === columns - 1 ? 'failed' : 'succeeded', {
          name: 'train',
          templateId: 4,
          iteration: [k],
          groupId: 2,
          ...column
        })
      );
      edges.push(
        { parent: base, child: base + 1 + i, join: null },
        { parent: base + 1 + i, child: toggle, join: null }
      );
    }
    nodes.push(toggleNode(toggle, `loop #${k}`, k, stopped ? 'blocked' : 'succeeded'));
    gate = toggle;
  }
  nodes.push(node(999, 1, 'waiting', { name: 'end' }));
  edges.push({ parent: gate, child: 999, join: null });
  return { workflow: { id: 1, name: 'cycle', createdAt: 0 }, nodes, edges };
}
