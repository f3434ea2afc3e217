// `pql inspect ID`: the dependency graph an entry is part of, as text. PerQueue's `pq inspect`
// draws the same graph with matplotlib; here one line per entry, in layers from the top, with the
// entries it waits for.
import type { RtNode } from '../../../core/model.js';
import { STATE_LETTER } from '../../../core/states.js';
import { openStore, out, projectFor, UsageError, type Command } from '../common.js';

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
    { names: ['--json'], help: 'as JSON' },
  ],
  positionals: [1, 1],
  async run(args) {
    const raw = args.positional[1];
    if (/^-\d+$/.test(raw)) {
      throw new UsageError(`pql inspect: ${raw} is a PerQueue DynamicTaskGroup key; here every group is an entry with a positive id ('pql ls' shows them)`);
    }
    if (!/^\d+$/.test(raw)) throw new UsageError(`pql inspect: expected an entry id (a number), got '${raw}'`);
    const id = Number(raw);
    const store = openStore(projectFor(args, false));
    const entry = store.node(id);
    if (!entry) throw new UsageError(`no entry ${id}`);
    const wf = store.workflowSummary(entry.workflowId)!;
    const nodes = store.nodesOf(entry.workflowId);
    const parents = new Map<number, number[]>(nodes.map((n) => [n.id, []]));
    const link = (child: number, parent: number) => {
      const ps = parents.get(child);
      if (ps && !ps.includes(parent)) ps.push(parent);
    };
    for (const e of store.edgesOf(entry.workflowId)) link(e.child, e.parent);
    for (const n of nodes) if (n.groupId !== null && parents.has(n.groupId)) link(n.id, n.groupId);
    const layer = layers(nodes, parents);
    const rows = [...nodes].sort((a, b) => layer.get(a.id)! - layer.get(b.id)! || a.id - b.id);
    if (args.flag('json')) {
      const described = rows.map((n) => ({ id: n.id, name: n.name, kind: n.kind, state: n.state, layer: layer.get(n.id), parents: parents.get(n.id) }));
      return out({ workflow: { id: wf.id, name: wf.name }, entry: id, nodes: described }), 0;
    }
    out(`workflow ${wf.id} '${wf.name}': ${nodes.length} entries`);
    if (args.flag('hide-labels')) {
      const byLayer = new Map<number, string[]>();
      for (const n of rows) {
        const l = layer.get(n.id)!;
        byLayer.set(l, [...(byLayer.get(l) ?? []), STATE_LETTER[n.state] + (n.id === id ? '*' : '')]);
      }
      for (const [l, letters] of byLayer) out(`${String(l).padStart(3)}  ${letters.join(' ')}`);
      return 0;
    }
    for (const n of rows) {
      const label = args.flag('use-keys') ? `${n.id}` : `${n.id} ${n.name}${n.kind === 'task' ? '' : ` (${n.kind})`}`;
      const ps = parents.get(n.id)!;
      out(`${String(layer.get(n.id)).padStart(3)}  ${n.id === id ? '*' : ' '} ${label}  ${n.state}${ps.length ? `  ← ${ps.join(', ')}` : ''}`);
    }
    return 0;
  },
};

/** Longest distance from a top entry (one with nothing to wait for). */
function layers(nodes: RtNode[], parents: Map<number, number[]>): Map<number, number> {
  const layer = new Map<number, number>();
  const visit = (id: number, seen: Set<number>): number => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0; // never in a DAG; guards against a damaged store
    seen.add(id);
    const ps = parents.get(id) ?? [];
    const l = ps.length ? Math.max(...ps.map((p) => visit(p, seen))) + 1 : 0;
    layer.set(id, l);
    return l;
  };
  for (const n of nodes) visit(n.id, new Set());
  return layer;
}
