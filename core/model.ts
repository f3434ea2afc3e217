// The runtime graph: entries (task instances) and placeholders (dynamic groups waiting to be
// expanded), joined by dependency edges. Plain data, so the store can persist it row by row
// and the browser can render it.
import type { JsonObject, WorkflowDocument } from './spec.js';
import type { EntryState } from './states.js';

export type RtKind = 'task' | 'manual' | 'dynamic_width' | 'cyclical' | 'toggle' | 'switch';

/** Placeholders hold no executor slot: the engine resolves them itself. */
export function isPlaceholder(kind: RtKind): boolean {
  return kind === 'dynamic_width' || kind === 'cyclical' || kind === 'toggle' || kind === 'switch';
}

export interface RtNode {
  id: number;
  workflowId: number;
  kind: RtKind;
  /** Number of the spec node this was made from (see numberTemplates). */
  templateId: number;
  name: string;
  state: EntryState;
  /** pq_index: one element per enclosing width group, outermost first. */
  index: number[];
  /** pq_iteration: one element per enclosing cyclical group, outermost first. */
  iteration: number[];
  /** The placeholder whose expansion made this node (null at top level). */
  groupId: number | null;
  /** Task and manual entries: own arguments (editable until the entry starts). */
  args: JsonObject | null;
  code: string | null;
  resources: string | null;
  /** Returned data (entries) or the data passed through (placeholders). */
  data: JsonObject | null;
  error: string | null;
  /** Runs started so far; the run folder is named after it. */
  attempt: number;
  /** Automatic re-runs allowed after a failure. */
  retries: number;
  /** Cyclical placeholder: its limit. Toggle: null (read from the cyclical placeholder). */
  maxTries: number | null;
  /** Toggle: the cyclical placeholder it belongs to, and the iteration it closes. */
  cycleId: number | null;
  cycleIteration: number | null;
  /** Executor facts, written by the bridge; the core never reads them. */
  executor: string | null;
  jobId: string | null;
  host: string | null;
  createdAt: number;
  queuedAt: number | null;
  startedAt: number | null;
  endedAt: number | null;
  /** Manual entries: when the default applies, and who completed it. */
  deadline: number | null;
  completedBy: string | null;
}

export interface RtEdge {
  child: number;
  parent: number;
  /**
   * Edges from the columns of one width group to a child share a join number: the child
   * runs when at least one of them survived (PerQueue's filtering inside width groups).
   * Edges with join null must each succeed.
   */
  join: number | null;
}

export interface WorkflowRecord {
  id: number;
  name: string;
  doc: WorkflowDocument;
  createdAt: number;
  /** DynamicWidthGroup widths set by a person, by template id, for groups not yet expanded. */
  widthOverrides: Record<string, number>;
}

/** Fresh values for every field, so new nodes are complete rows. */
export function blankNode(
  partial: Pick<RtNode, 'id' | 'workflowId' | 'kind' | 'templateId' | 'name' | 'createdAt'>
): RtNode {
  return {
    state: 'waiting',
    index: [],
    iteration: [],
    groupId: null,
    args: null,
    code: null,
    resources: null,
    data: null,
    error: null,
    attempt: 0,
    retries: 0,
    maxTries: null,
    cycleId: null,
    cycleIteration: null,
    executor: null,
    jobId: null,
    host: null,
    queuedAt: null,
    startedAt: null,
    endedAt: null,
    deadline: null,
    completedBy: null,
    ...partial
  };
}
