// `pql inspect ID`: the dependency graph an entry is part of, as text. PerQueue's `pq inspect`
// draws the same graph with matplotlib; here one line per entry, in layers from the top, with the
// entries it waits for.
import type { RtNode } from '../../../core/model.js';
import { STATE_LETTER } from '../../../core/states.js';
import { jsonFlag, openStore, out, projectFor, UsageError, type Command } from '../common.js';

export const inspect: Command = {
  name: 'inspect',
  usage: 'inspect ID [-k] [-H] [--json]',
  summary: "the dependency graph of the entry's workflow, layer by layer (* marks the entry)",
  details: `Each line: layer, entry id, name, state, and the entries it waits for (← ids; a group's
members wait for the group). -k labels entries by id only, -H shows only the states, as
PerQueue's --use-keys and --hide-labels. PerQueue's negative ids (DynamicTaskGroup templates)
do not exist here: a group is an entry with its own id (kind column of 'pql ls').`,
  options: [
    { names: ['-k', '--use-keys'], help: 'label entries by id only' },
    { names: ['-H', '--hide-labels'], help: 'only the states, no labels' },
    jsonFlag()
  ],
  positionals: [1, 1],
  async run(args) {
    const raw = args.positional[1];
    if (/^-\d+$/.test(raw)) {
      throw new UsageError(
        `pql inspect: ${raw} is a PerQueue DynamicTaskGroup key; here every group is an entry with a positive id ('pql ls' shows them)`
      );
    }
    if (!/^\d+$/.test(raw)) throw new UsageError(`pql inspect: expected an entry id (a number), got '${raw}'`);
    const id = Number(raw);
    const store = openStore(projectFor(args, false));
    const entry = store.node(id);
    if (!entry) throw new UsageError(`no entry ${id}`);
    const wf = store.workflowSummary(entry.workflowId)!;
    const nodes = store.nodesOf(entry.workflowId);
    // Sets: a join after a width group may wait for thousands of columns.
    const waitsFor = new Map<number, Set<number>>(nodes.map(n => [n.id, new Set<number>()]));
    for (const e of store.edgesOf(entry.workflowId)) waitsFor.get(e.child)?.add(e.parent);
    for (const n of nodes) if (n.groupId !== null && waitsFor.has(n.groupId)) waitsFor.get(n.id)!.add(n.groupId);
    const parents = new Map<number, number[]>([...waitsFor].map(([child, ps]) => [child, [...ps]]));
    const layer = layers(nodes, parents);
    const rows = [...nodes].sort((a, b) => layer.get(a.id)! - layer.get(b.id)! || a.id - b.id);
    if (args.flag('json')) {
      const described = rows.map(n => ({
        id: n.id,
        name: n.name,
        kind: n.kind,
        state: n.state,
        layer: layer.get(n.id),
        parents: parents.get(n.id)
      }));
      return (out({ workflow: { id: wf.id, name: wf.name }, entry: id, nodes: described }), 0);
    }
    out(`workflow ${wf.id} '${wf.name}': ${nodes.length} entries`);
    if (args.flag('hide-labels')) {
      const byLayer = new Map<number, string[]>();
      for (const n of rows) {
        const l = layer.get(n.id)!;
        if (!byLayer.has(l)) byLayer.set(l, []);
        byLayer.get(l)!.push(STATE_LETTER[n.state] + (n.id === id ? '*' : ''));
      }
      for (const [l, letters] of byLayer) out(`${String(l).padStart(3)}  ${letters.join(' ')}`);
      return 0;
    }
    for (const n of rows) {
      const label = args.flag('use-keys') ? `${n.id}` : `${n.id} ${n.name}${n.kind === 'task' ? '' : ` (${n.kind})`}`;
      const ps = parents.get(n.id)!;
      out(
        `${String(layer.get(n.id)).padStart(3)}  ${n.id === id ? '*' : ' '} ${label}  ${n.state}${ps.length ? `  ← ${ps.join(', ')}` : ''}`
      );
    }
    return 0;
  }
};

/** Longest distance from a top entry (one with nothing to wait for), in topological order. */
function layers(nodes: RtNode[], parents: Map<number, number[]>): Map<number, number> {
  const layer = new Map<number, number>();
  const waiting = new Map<number, number>();
  const children = new Map<number, number[]>();
  for (const n of nodes) {
    const ps = parents.get(n.id) ?? [];
    waiting.set(n.id, ps.length);
    for (const p of ps) {
      if (!children.has(p)) children.set(p, []);
      children.get(p)!.push(n.id);
    }
  }
  const ready = nodes.filter(n => waiting.get(n.id) === 0).map(n => n.id);
  for (const id of ready) layer.set(id, 0);
  while (ready.length) {
    const id = ready.pop()!;
    for (const c of children.get(id) ?? []) {
      layer.set(c, Math.max(layer.get(c) ?? 0, layer.get(id)! + 1));
      const left = waiting.get(c)! - 1;
      waiting.set(c, left);
      if (left === 0) ready.push(c);
    }
  }
  for (const n of nodes) if (!layer.has(n.id)) layer.set(n.id, 0); // never in a DAG; guards against a damaged store
  return layer;
}
