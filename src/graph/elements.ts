// Turns a workflow's runtime graph into what the graph panel draws: width groups (the columns of
// a static or dynamic width group) may be collapsed into one node that carries the count per
// state. Pure data in, pure data out: no DOM, no cytoscape, so it is tested on its own.
import type { EntryState } from '../../core/states.js';
import { iterationBands, type IIterationBand } from './bands';
import { samePlace } from '../snapshots';
import type { PerQueue } from '../tokens';

export interface IGraphNode {
  /** Cytoscape id: `e<entry id>` for an entry, `g<key>` for a collapsed width group. */
  id: string;
  label: string;
  state: string;
  kind: string;
  /** The entry shown, or null for a collapsed group. */
  entryId: number | null;
  /** The width group this node belongs to (collapsed or not), or null. */
  groupKey: string | null;
  /** Entries behind this node: 1, or the group's size. */
  count: number;
  counts: Partial<Record<string, number>>;
  /** The iteration bands (cycle iterations) this node is drawn in, outermost first. */
  bands: string[];
}

export interface IGraphEdge {
  id: string;
  source: string;
  target: string;
  /** Part of a join over a width group: the child needs one of these parents, not all. */
  join: boolean;
}

export interface IWidthGroup {
  key: string;
  name: string;
  size: number;
  collapsed: boolean;
  entryIds: number[];
  /** 'cycle': a cyclical group with everything made in its iterations (key `c<cycle id>`). */
  kind?: 'width' | 'cycle';
  /** For a cycle: how many iterations it has run. */
  iterations?: number;
}

export interface IGraphElements {
  nodes: IGraphNode[];
  edges: IGraphEdge[];
  groups: Map<string, IWidthGroup>;
  /** The iterations of cyclical groups, by key (see bands.ts). */
  bands: Map<string, IIterationBand>;
  /** The drawn node of each entry: its own, or the collapsed group's it is counted in. */
  drawnAs: Map<number, IGraphNode>;
}

interface IBuildOptions {
  /** Groups larger than this start collapsed. */
  collapseAbove?: number;
  /** The person's choices, by group key: true = collapsed, false = expanded. */
  overrides?: ReadonlyMap<string, boolean>;
}

/** The state a collapsed group shows: the one most in need of attention among its entries. */
const GROUP_STATE_ORDER: readonly EntryState[] = [
  'failed',
  'timed_out',
  'awaiting_input',
  'running',
  'queued',
  'blocked',
  'waiting',
  'cancelled',
  'succeeded',
  'discarded',
  'skipped'
];

/**
 * The width group of a node: columns made from the same spec node by the same group (`groupId`:
 * one per width group made, so inner groups of different outer columns stay apart) in the same
 * iteration. Null for nodes outside width groups. The index is not used when the group is known:
 * PerQueue's `pq_index` puts a static group's column first and a dynamic group's last.
 */
export function widthGroupKey(node: PerQueue.Node): string | null {
  const index = node.index ?? [];
  if (index.length === 0) {
    return null;
  }
  const template = node.templateId ?? node.name;
  const iteration = (node.iteration ?? []).join('.');
  const within = node.groupId === undefined || node.groupId === null ? `x${index.slice(0, -1).join('.')}` : '';
  return `t${template}|p${node.groupId ?? ''}|i${iteration}|${within}`;
}

export function groupState(counts: Partial<Record<string, number>>): string {
  for (const state of GROUP_STATE_ORDER) {
    if ((counts[state] ?? 0) > 0) {
      return state;
    }
  }
  return Object.keys(counts)[0] ?? 'waiting';
}

function entryLabel(node: PerQueue.Node): string {
  let label = node.name;
  const index = node.index ?? [];
  const iteration = node.iteration ?? [];
  if (index.length) {
    label += ` [${index.join(',')}]`;
  }
  // A toggle's name already ends with its iteration (`loop #2`).
  if (iteration.length && node.kind !== 'toggle') {
    label += ` #${iteration.join('.')}`;
  }
  return label;
}

export function buildGraph(detail: PerQueue.WorkflowDetail, options: IBuildOptions = {}): IGraphElements {
  const collapseAbove = options.collapseAbove ?? 4;
  const overrides = options.overrides ?? new Map<string, boolean>();
  const nodes = [...detail.nodes].sort((a, b) => a.id - b.id);
  const iterations = iterationBands(nodes);
  const noBands: string[] = [];

  const groups = new Map<string, IWidthGroup>();
  const keyOf = new Map<number, string | null>();
  for (const node of nodes) {
    const key = widthGroupKey(node);
    keyOf.set(node.id, key);
    if (key === null) {
      continue;
    }
    let group = groups.get(key);
    if (!group) {
      group = { key, name: node.name, size: 0, collapsed: false, entryIds: [] };
      groups.set(key, group);
    }
    group.size++;
    group.entryIds.push(node.id);
  }
  for (const group of groups.values()) {
    group.collapsed = overrides.get(group.key) ?? group.size > collapseAbove;
  }
  // Cyclical groups: the cycle node and everything made in its iterations. They collapse only
  // when asked (their bands show the iterations); a collapsed cycle takes in the width groups
  // inside it, and the outermost collapsed cycle takes in the cycles inside it.
  const cycleOf = collapsedCycles(nodes, overrides, groups);

  const shownAs = new Map<number, string>();
  const drawnAs = new Map<number, IGraphNode>();
  const out: IGraphNode[] = [];
  const collapsedNodes = new Map<string, IGraphNode>();
  for (const node of nodes) {
    const cycleKey = cycleOf.get(node.id);
    const key = cycleKey ?? keyOf.get(node.id) ?? null;
    const group = key === null ? undefined : groups.get(key);
    if (group?.collapsed) {
      const id = `g${group.key}`;
      let shown = collapsedNodes.get(id);
      if (!shown) {
        shown = {
          id,
          label: '',
          state: '',
          kind: node.kind,
          entryId: null,
          groupKey: group.key,
          count: 0,
          counts: {},
          // A collapsed cycle sits in the bands of the cycles around it, not its own.
          bands: (cycleKey ? iterations.of.get(Number(cycleKey.slice(1))) : iterations.of.get(node.id)) ?? noBands
        };
        collapsedNodes.set(id, shown);
        out.push(shown);
      }
      shown.count++;
      shown.counts[node.state] = (shown.counts[node.state] ?? 0) + 1;
      shownAs.set(node.id, id);
      drawnAs.set(node.id, shown);
      continue;
    }
    const id = `e${node.id}`;
    // An expanded cycle's own node carries the cycle's key, so its details offer to collapse it.
    const ownCycle = node.kind === 'cyclical' ? groups.get(`c${node.id}`) : undefined;
    const drawn: IGraphNode = {
      id,
      label: entryLabel(node),
      state: node.state,
      kind: node.kind,
      entryId: node.id,
      groupKey: key ?? ownCycle?.key ?? null,
      count: 1,
      counts: { [node.state]: 1 },
      bands: iterations.of.get(node.id) ?? noBands
    };
    out.push(drawn);
    shownAs.set(node.id, id);
    drawnAs.set(node.id, drawn);
  }
  for (const shown of collapsedNodes.values()) {
    const group = groups.get(shown.groupKey as string) as IWidthGroup;
    shown.state = groupState(shown.counts);
    shown.label =
      group.kind === 'cycle' ? `${group.name} ↻${group.iterations} ×${shown.count}` : `${group.name} ×${shown.count}`;
  }

  const edges: IGraphEdge[] = [];
  const seen = new Set<string>();
  for (const edge of detail.edges) {
    const source = shownAs.get(edge.parent);
    const target = shownAs.get(edge.child);
    if (!source || !target || source === target) {
      continue;
    }
    const id = `${source}->${target}`;
    if (seen.has(id)) {
      continue;
    }
    seen.add(id);
    edges.push({ id, source, target, join: edge.join !== null && edge.join !== undefined });
  }
  return { nodes: out, edges, groups, bands: iterations.bands, drawnAs };
}

/** An entry as it was drawn and as it is now (see snapshots.ts: changedNodes). */
interface IEntryChange {
  before: PerQueue.Node;
  after: PerQueue.Node;
}

/**
 * Applies entries' new states to the drawn graph in place: an entry's node takes its state, a
 * collapsed group's node moves one from the former state's count to the new one's and shows
 * the state most in need of attention. Returns the drawn nodes whose look changed, or null when
 * something else that buildGraph reads changed (an entry's name, kind, place in its groups or
 * iteration) or an entry is not drawn: then the graph must be built anew.
 */
export function applyStateChanges(elements: IGraphElements, changes: readonly IEntryChange[]): IGraphNode[] | null {
  for (const { before, after } of changes) {
    if (!samePlace(before, after) || !elements.drawnAs.has(after.id)) {
      return null;
    }
  }
  const touched = new Set<IGraphNode>();
  for (const { before, after } of changes) {
    if (before.state === after.state) {
      continue; // outputs, times or attempts: not drawn
    }
    const drawn = elements.drawnAs.get(after.id)!;
    touched.add(drawn);
    if (drawn.entryId !== null) {
      drawn.state = after.state;
      drawn.counts = { [after.state]: 1 };
      continue;
    }
    const left = (drawn.counts[before.state] ?? 0) - 1;
    if (left > 0) {
      drawn.counts[before.state] = left;
    } else {
      delete drawn.counts[before.state];
    }
    drawn.counts[after.state] = (drawn.counts[after.state] ?? 0) + 1;
    drawn.state = groupState(drawn.counts);
  }
  return [...touched];
}

/**
 * Registers every cyclical group in `groups` (key `c<id>`: the cycle node and all nodes below it)
 * and returns, for each node inside a collapsed cycle, the key of the outermost such cycle.
 */
function collapsedCycles(
  nodes: readonly PerQueue.Node[],
  overrides: ReadonlyMap<string, boolean>,
  groups: Map<string, IWidthGroup>
): Map<number, string> {
  const byId = new Map(nodes.map(n => [n.id, n]));
  const cycles = nodes.filter(n => n.kind === 'cyclical');
  const out = new Map<number, string>();
  if (cycles.length === 0) {
    return out;
  }
  for (const cycle of cycles) {
    const key = `c${cycle.id}`;
    groups.set(key, {
      key,
      name: cycle.name,
      size: 0,
      collapsed: overrides.get(key) ?? false,
      entryIds: [],
      kind: 'cycle',
      iterations: 0
    });
  }
  const seenIterations = new Map<string, Set<number>>();
  for (const node of nodes) {
    // The cycles holding this node, innermost first (the node itself when it is one).
    const holders: PerQueue.Node[] = node.kind === 'cyclical' ? [node] : [];
    const seen = new Set<number>([node.id]);
    let parent = groupOf(node, byId);
    while (parent && !seen.has(parent.id)) {
      seen.add(parent.id);
      if (parent.kind === 'cyclical') {
        holders.push(parent);
      }
      parent = groupOf(parent, byId);
    }
    for (const cycle of holders) {
      const group = groups.get(`c${cycle.id}`) as IWidthGroup;
      group.size++;
      group.entryIds.push(node.id);
      if (node !== cycle) {
        const iteration = (node.iteration ?? [])[(cycle.iteration ?? []).length];
        if (iteration !== undefined) {
          const seenHere = seenIterations.get(group.key) ?? new Set<number>();
          seenHere.add(iteration);
          seenIterations.set(group.key, seenHere);
          group.iterations = seenHere.size;
        }
      }
    }
    const outermost = [...holders].reverse().find(c => groups.get(`c${c.id}`)?.collapsed);
    if (outermost) {
      out.set(node.id, `c${outermost.id}`);
    }
  }
  return out;
}

/** "3 succeeded · 1 failed", in GROUP_STATE_ORDER, for group nodes and tooltips. */
export function countsText(counts: Partial<Record<string, number>>): string {
  const known = GROUP_STATE_ORDER.filter(s => (counts[s] ?? 0) > 0).map(s => `${counts[s]} ${stateLabel(s)}`);
  const other = Object.keys(counts)
    .filter(s => !(GROUP_STATE_ORDER as readonly string[]).includes(s) && (counts[s] ?? 0) > 0)
    .map(s => `${counts[s]} ${stateLabel(s)}`);
  return [...known, ...other].join(' · ');
}

export function stateLabel(state: string): string {
  return state.replace(/_/g, ' ');
}

/** The group node holding `node`, if it is drawn. */
function groupOf(node: PerQueue.Node, byId: Map<number, PerQueue.Node>): PerQueue.Node | undefined {
  return node.groupId === null || node.groupId === undefined ? undefined : byId.get(node.groupId);
}
