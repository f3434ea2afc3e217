// How the model keeps its cached snapshot of an open workflow current without making its views
// start over: a fresh snapshot is folded into the cached one so that an entry whose fields did
// not change keeps its object (a view finds what changed by identity and redraws only that), and
// refetches of a large workflow are spaced so that parsing snapshots stays a small part of the
// browser's time under a steady stream of events. Pure: no I/O, no DOM.
import type { PerQueue } from './tokens.js';

/** Equal as JSON values: numbers, strings, booleans, null, arrays and plain objects (key order aside). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    // NaN never comes from JSON; undefined and a missing key are alike below.
    return false;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) {
      return false;
    }
    for (let i = 0; i < a.length; i++) {
      if (!sameValue(a[i], b[i])) {
        return false;
      }
    }
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  for (const key in x) {
    if (!sameValue(x[key], y[key])) {
      return false;
    }
  }
  for (const key in y) {
    if (!(key in x) && y[key] !== undefined) {
      return false;
    }
  }
  return true;
}

/**
 * The fresh snapshot, with the cached objects kept where they are equal to the fresh ones: each
 * unchanged entry, the edges when none changed, the whole list of entries when none changed.
 */
export function mergeSnapshot(
  cached: PerQueue.WorkflowDetail,
  fresh: PerQueue.WorkflowDetail
): PerQueue.WorkflowDetail {
  const before = new Map<number, PerQueue.Node>();
  for (const node of cached.nodes) {
    before.set(node.id, node);
  }
  let allKept = cached.nodes.length === fresh.nodes.length;
  const nodes = fresh.nodes.map((node, i) => {
    const old = before.get(node.id);
    if (old !== undefined && sameValue(old, node)) {
      allKept = allKept && cached.nodes[i] === old;
      return old;
    }
    allKept = false;
    return node;
  });
  return {
    ...fresh,
    workflow: sameValue(cached.workflow, fresh.workflow) ? cached.workflow : fresh.workflow,
    nodes: allKept ? cached.nodes : nodes,
    edges: sameValue(cached.edges, fresh.edges) ? cached.edges : fresh.edges
  };
}

/** Entries from which refetches are spaced further apart than the settle time. */
const ENTRIES_PER_SETTLE = 2000;
/** The longest wait for a refetch while events keep coming (ms). */
const MAX_REFETCH_DELAY = 5000;

/**
 * How long the model waits after an event before it fetches a workflow's snapshot again: the
 * settle time for up to 2,000 entries, longer in proportion above (a 10,000-entry snapshot is
 * megabytes of JSON to parse), never more than 5 s. The state of each entry is applied from the
 * event at once; only what events do not carry (outputs, attempts, job ids, times) waits.
 */
export function refetchDelay(settleMs: number, entries: number): number {
  const scaled = settleMs * Math.max(1, entries / ENTRIES_PER_SETTLE);
  return Math.max(settleMs, Math.min(scaled, MAX_REFETCH_DELAY));
}

/** An entry whose object changed since a view last saw the list, with its former and current object. */
export interface INodeChange {
  before: PerQueue.Node;
  after: PerQueue.Node;
}

/**
 * What changed between the entries a view last drew (`seen`, a copy of the list then) and the
 * model's list now, found by identity (the model replaces an entry's object when it changes).
 * Null when entries came, went or moved: the view then builds from scratch.
 */
export function changedNodes(seen: readonly PerQueue.Node[], now: readonly PerQueue.Node[]): INodeChange[] | null {
  if (seen.length !== now.length) {
    return null;
  }
  const changes: INodeChange[] = [];
  for (let i = 0; i < now.length; i++) {
    const before = seen[i];
    const after = now[i];
    if (before === after) {
      continue;
    }
    if (before.id !== after.id) {
      return null;
    }
    changes.push({ before, after });
  }
  return changes;
}

/** The fields that fix where an entry is drawn: its kind and name, its groups, column and iteration. */
export interface IPlacedEntry {
  id: number;
  kind: string;
  name: string;
  groupId?: number | null;
  templateId?: number | null;
  index?: readonly number[];
  iteration?: readonly number[];
}

/**
 * Whether two versions of an entry are drawn in the same place (graph node, timeline lane and
 * row). Anything else (state, times, job, attempt) changes only how it looks.
 */
export function samePlace<T extends IPlacedEntry>(a: T, b: T): boolean {
  return (
    a.id === b.id &&
    a.kind === b.kind &&
    a.name === b.name &&
    (a.groupId ?? null) === (b.groupId ?? null) &&
    (a.templateId ?? null) === (b.templateId ?? null) &&
    sameNumbers(a.index, b.index) &&
    sameNumbers(a.iteration, b.iteration)
  );
}

function sameNumbers(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
