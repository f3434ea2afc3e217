// Test helpers: build specs tersely and run an engine with task behaviour given as functions.
import { Engine, type Outcome } from '../../core/engine.js';
import type { RtNode } from '../../core/model.js';
import type { JsonObject, NodeSpec, WorkflowDocument, WorkflowNodeSpec } from '../../core/spec.js';

export const task = (name: string, args: JsonObject = {}, extra: Partial<NodeSpec> = {}): NodeSpec =>
  ({ kind: 'task', name, code: `/scripts/${name}.py`, args, resources: '1:local:10m', ...extra }) as NodeSpec;

export const manual = (name: string, extra: Record<string, unknown> = {}): NodeSpec =>
  ({ kind: 'manual', name, args: {}, onReject: 'discard', ...extra }) as NodeSpec;

export const chain = (...nodes: NodeSpec[]): NodeSpec => ({
  kind: 'workflow',
  nodes: nodes.map((node, i) => ({ id: `n${i}`, node, parents: i === 0 ? [] : [`n${i - 1}`] }))
});

export const dag = (nodes: Record<string, [NodeSpec, string[]]>): NodeSpec => ({
  kind: 'workflow',
  nodes: Object.entries(nodes).map(([id, [node, parents]]): WorkflowNodeSpec => ({ id, node, parents }))
});

export const swg = (body: NodeSpec, width: number): NodeSpec => ({ kind: 'static_width', body, width });
export const dwg = (body: NodeSpec): NodeSpec => ({ kind: 'dynamic_width', body });
export const cg = (body: NodeSpec, maxTries = 16): NodeSpec => ({ kind: 'cyclical', body, maxTries });
export const sw = (branches: Record<string, NodeSpec>): NodeSpec => ({ kind: 'switch', branches });

export const doc = (root: NodeSpec, name = 'wf'): WorkflowDocument => ({ specVersion: 1, name, root });

/** What a task does: return an Outcome, or just data for success. */
export type Behaviour = (kwargs: JsonObject, node: RtNode) => Outcome | JsonObject | any;

export interface RunRecord {
  name: string;
  id: number;
  kwargs: JsonObject;
}

/**
 * Run every queued task until nothing is queued, in id order (deterministic).
 * Returns the runs made, in order.
 */
export function runAll(engine: Engine, behaviours: Record<string, Behaviour>, limit = 100000): RunRecord[] {
  const runs: RunRecord[] = [];
  for (let step = 0; step < limit; step++) {
    const queued = engine
      .workflowIds()
      .flatMap(w => engine.nodesOf(w))
      .filter(n => n.state === 'queued')
      .sort((a, b) => a.id - b.id);
    if (queued.length === 0) return runs;
    const n = queued[0];
    engine.markRunning(n.id);
    const { kwargs } = engine.inputFor(n.id);
    runs.push({ name: n.name, id: n.id, kwargs });
    const b = behaviours[n.name] ?? (() => ({}));
    const r = b(kwargs, n);
    const outcome: Outcome =
      'state' in r && typeof r.state === 'string' ? (r as Outcome) : { state: 'succeeded', data: r as JsonObject };
    engine.finish(n.id, outcome);
  }
  throw new Error('runAll: too many steps');
}

export function byName(engine: Engine, wf: number, name: string): RtNode[] {
  return engine
    .nodesOf(wf)
    .filter(n => n.name === name)
    .sort((a, b) => a.id - b.id);
}

export function states(engine: Engine, wf: number): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const n of engine.nodesOf(wf).sort((a, b) => a.id - b.id)) (out[n.name] ??= []).push(n.state);
  return out;
}
