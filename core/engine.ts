// The workflow engine: given what finished, what happens next. It owns the runtime graph of
// every active workflow in memory and records which rows changed, so the store can persist
// each state change in one transaction before the bridge acts on it.
//
// Pure logic: no I/O, no timers; the clock is injected. The semantics (PerQueue's, with the
// choices PerQueue leaves open) are written down in docs/semantics.md.
import {
  CYCLICALGROUP_KEY,
  DYNAMICWIDTHGROUP_KEY,
  INDEX_KW,
  ITER_KW,
  SWITCHGROUP_KEY,
  SWITCHGROUP_SKIP
} from './constants.js';
import { ActionError, FormDataError } from './errors.js';
import { MAX_GROUP_WIDTH, MAX_WORKFLOW_ENTRIES } from './limits.js';
import { describeProblem, validateAgainstForm } from './formSchema.js';
import { mergeParentData, receivedKwargs, without, type Merged } from './merge.js';
import { blankNode, isPlaceholder, type RtEdge, type RtKind, type RtNode, type WorkflowRecord } from './model.js';
import { parseResources } from './resources.js';
import {
  countEntries,
  nodeName,
  numberTemplates,
  validateSpec,
  type Json,
  type JsonObject,
  type ManualTaskSpec,
  type NodeSpec,
  type Ports,
  type Template,
  type WorkflowDocument
} from './spec.js';
import { itemPath } from './specPath.js';
import { isBad, isSettled, type EntryState } from './states.js';

export type Outcome =
  | { state: 'succeeded'; data: JsonObject }
  | { state: 'discarded'; data: JsonObject }
  | { state: 'failed'; error: string }
  | { state: 'timed_out'; error: string };

/** Rows to write: the store persists these in one transaction per call that made them. */
export interface Changes {
  /** Counters to persist so ids keep growing after a restart. */
  nextNodeId: number;
  nextWorkflowId: number;
  nodes: RtNode[];
  addedEdges: RtEdge[];
  removedEdges: RtEdge[];
  workflows: WorkflowRecord[];
}

export interface EntryInput {
  kwargs: JsonObject;
  /** Keys of `kwargs` gathered from several parents into an object keyed by parent entry id,
   * with the ids in PerQueue's order (main() gets a dict keyed by integers, in that order). */
  joined: Record<string, number[]>;
  /** The function of the script to call, when it is not `main` (PerQueue's `func`). */
  func?: string;
  pqParents: { id: number; name: string; index: number[]; iteration: number[]; data: JsonObject }[];
}

export interface Modification {
  args?: JsonObject;
  resources?: string;
  /** A new script for a task entry. */
  code?: string;
  retries?: number;
  maxTries?: number;
  width?: number;
}

export interface EngineOptions {
  now?: () => number;
  firstNodeId?: number;
  firstWorkflowId?: number;
}

interface Tail {
  id: number;
  join: number | null;
}

interface Fragment {
  heads: number[];
  tails: Tail[];
}

// pq_index as PerQueue 0.3.2 builds it (docs/semantics.md, "pq_index"): the static width groups of
// one template are resolved inside out at submission, so their indices come innermost first;
// a dynamic group, when it expands, copies its own pq_index over its body's (replacing what
// static groups put there) and a DynamicWidthGroup then appends the column.
interface Scope {
  /** Indices of the static width groups around the node within the template, innermost first. */
  staticIndex: number[];
  /** The expanding dynamic group's own pq_index: replaces staticIndex when it is not empty. */
  groupIndex: number[];
  /** A DynamicWidthGroup's column, appended last. */
  column: number[];
  iteration: number[];
  groupId: number | null;
}

const TOP_SCOPE: Scope = { staticIndex: [], groupIndex: [], column: [], iteration: [], groupId: null };

function indexIn(scope: Scope): number[] {
  return [...(scope.groupIndex.length > 0 ? scope.groupIndex : scope.staticIndex), ...scope.column];
}

/** The scope of a dynamic group's expansion (a column, an iteration, a branch). */
function expansionScope(group: RtNode, column: number[], iteration: number[]): Scope {
  return { staticIndex: [], groupIndex: group.index, column, iteration, groupId: group.id };
}

interface LoadedWorkflow {
  record: WorkflowRecord;
  templates: Template[];
  idOf: Map<NodeSpec, number>;
}

/** A parent in one of these states keeps its children from running until a person acts. */
function isBlocking(s: EntryState): boolean {
  return isBad(s) || s === 'blocked' || s === 'cancelled';
}

const CANCELLABLE: ReadonlySet<EntryState> = new Set(['waiting', 'queued', 'running', 'blocked', 'awaiting_input']);
const RETRYABLE: ReadonlySet<EntryState> = new Set(['failed', 'timed_out', 'cancelled', 'discarded']);
/** States from which an entry may be completed, discarded or failed by hand. */
const BY_HAND: ReadonlySet<EntryState> = new Set([
  'waiting',
  'blocked',
  'failed',
  'timed_out',
  'cancelled',
  'discarded',
  'skipped'
]);
const EDITABLE: ReadonlySet<EntryState> = new Set([
  'waiting',
  'blocked',
  'failed',
  'timed_out',
  'cancelled',
  'discarded',
  'awaiting_input'
]);

export class Engine {
  private readonly nodes = new Map<number, RtNode>();
  private readonly parentEdges = new Map<number, RtEdge[]>();
  private readonly childEdges = new Map<number, RtEdge[]>();
  /** Per node: parents not yet settled, and parents that block it. Kept incrementally so that
   * a join after a 100,000-column group costs O(1) per finished column. */
  private readonly unsettledParents = new Map<number, number>();
  private readonly blockingParents = new Map<number, number>();
  private readonly workflows = new Map<number, LoadedWorkflow>();
  private readonly awaiting = new Set<number>();
  /** Entries each loaded workflow holds: bounded by MAX_WORKFLOW_ENTRIES. */
  private readonly entryCounts = new Map<number, number>();
  private readonly now: () => number;
  private nextNodeId: number;
  private nextWorkflowId: number;

  private dirtyNodes = new Set<number>();
  private dirtyWorkflows = new Set<number>();
  private addedEdges: RtEdge[] = [];
  private removedEdges: RtEdge[] = [];
  private work: number[] = [];

  constructor(opts: EngineOptions = {}) {
    this.now = opts.now ?? (() => Date.now());
    this.nextNodeId = opts.firstNodeId ?? 1;
    this.nextWorkflowId = opts.firstWorkflowId ?? 1;
  }

  // ---------------------------------------------------------------- loading and queries

  /** Take in a stored workflow (after a restart). Changes nothing. */
  load(record: WorkflowRecord, nodes: RtNode[], edges: RtEdge[]): void {
    const { byId, idOf } = numberTemplates(record.doc.root);
    this.workflows.set(record.id, { record, templates: byId, idOf });
    this.entryCounts.set(record.id, nodes.length);
    for (const n of nodes) {
      this.nodes.set(n.id, n);
      if (n.state === 'awaiting_input') this.awaiting.add(n.id);
      this.nextNodeId = Math.max(this.nextNodeId, n.id + 1);
    }
    for (const e of edges) this.linkEdge(e);
    this.nextWorkflowId = Math.max(this.nextWorkflowId, record.id + 1);
  }

  /** Drop a finished workflow from memory (it stays in the store). */
  unload(workflowId: number): void {
    for (const n of this.nodesOf(workflowId)) {
      this.nodes.delete(n.id);
      this.parentEdges.delete(n.id);
      this.childEdges.delete(n.id);
      this.unsettledParents.delete(n.id);
      this.blockingParents.delete(n.id);
      this.awaiting.delete(n.id);
    }
    this.workflows.delete(workflowId);
    this.entryCounts.delete(workflowId);
  }

  /** Ids must keep growing across unloads and restarts. */
  reserveIds(nextNodeId: number, nextWorkflowId: number): void {
    this.nextNodeId = Math.max(this.nextNodeId, nextNodeId);
    this.nextWorkflowId = Math.max(this.nextWorkflowId, nextWorkflowId);
  }

  hasWorkflow(id: number): boolean {
    return this.workflows.has(id);
  }

  workflowIds(): number[] {
    return [...this.workflows.keys()];
  }

  workflow(id: number): WorkflowRecord | undefined {
    return this.workflows.get(id)?.record;
  }

  node(id: number): RtNode | undefined {
    return this.nodes.get(id);
  }

  nodesOf(workflowId: number): RtNode[] {
    const out: RtNode[] = [];
    for (const n of this.nodes.values()) if (n.workflowId === workflowId) out.push(n);
    return out;
  }

  parentsOf(id: number): RtEdge[] {
    return this.parentEdges.get(id) ?? [];
  }

  childrenOf(id: number): RtEdge[] {
    return this.childEdges.get(id) ?? [];
  }

  /** True while some node of the workflow can still change without a person acting. */
  isWorkflowActive(workflowId: number): boolean {
    for (const n of this.nodes.values()) {
      if (n.workflowId !== workflowId) continue;
      if (n.state === 'waiting' || n.state === 'queued' || n.state === 'running' || n.state === 'awaiting_input') {
        return true;
      }
    }
    return false;
  }

  /**
   * What the entry's task receives: own args < parents' data < pq_index/pq_iteration. The
   * parents' data is that of the nearest entries, through group placeholders, merged at once and
   * passed whole: PerQueue strips no reserved key (a DWG's columns see pq_dwg_width, a branch
   * pq_switch_key, the next iteration and what follows a loop pq_toggle_key).
   */
  inputFor(id: number): EntryInput {
    const n = this.mustGet(id);
    const { parents, joinOf, via } = this.dataParents(n);
    // Ports rename what reaches the entry over an edge of its workflow, also the outputs behind a
    // group placeholder (a loop's last iteration, a DWG's parents).
    const merged = mergeParentData(
      pqParentOrder(parents, joinOf).map(p => ({ id: p.id, data: this.portedData(n, p, via.get(p.id)!).data })),
      true
    );
    const kwargs = receivedKwargs(n.args, merged.data, n.index, n.iteration);
    const joined: Record<string, number[]> = {};
    for (const [k, ids] of merged.order) {
      if (!(k === INDEX_KW && n.index.length > 0) && !(k === ITER_KW && n.iteration.length > 0)) joined[k] = ids;
    }
    const pqParents = parents.map(p => ({
      id: p.id,
      name: p.name,
      index: p.index,
      iteration: p.iteration,
      data: p.data ?? {}
    }));
    const spec = this.templateOf(n);
    if (spec.kind === 'task' && spec.func !== undefined && spec.func !== 'main')
      return { kwargs, joined, func: spec.func, pqParents };
    return { kwargs, joined, pqParents };
  }

  /**
   * PerQueue's `get_parent_data`: the parents' outputs merged as they reach the entry (through
   * its ports), without its own args. A port naming a key its parent did not return is left out.
   */
  parentDataOf(id: number): JsonObject {
    return this.mergedParents(this.mustGet(id)).data;
  }

  /** Rows changed since the last call. */
  takeChanges(): Changes {
    const changes: Changes = {
      nextNodeId: this.nextNodeId,
      nextWorkflowId: this.nextWorkflowId,
      nodes: [...this.dirtyNodes].map(id => this.nodes.get(id)).filter((n): n is RtNode => !!n),
      addedEdges: this.addedEdges,
      removedEdges: this.removedEdges,
      workflows: [...this.dirtyWorkflows].map(id => this.workflows.get(id)!.record)
    };
    this.dirtyNodes = new Set();
    this.dirtyWorkflows = new Set();
    this.addedEdges = [];
    this.removedEdges = [];
    return changes;
  }

  /**
   * Forget the rows changed since the last takeChanges() and the work not yet done, after an
   * action that threw half-way or whose changes could not be stored. Returns the workflows they
   * touched: the caller reloads those from the store, which holds the last committed truth.
   */
  discardChanges(): number[] {
    const touched = new Set<number>(this.dirtyWorkflows);
    for (const id of this.dirtyNodes) {
      const n = this.nodes.get(id);
      if (n) touched.add(n.workflowId);
    }
    for (const e of [...this.addedEdges, ...this.removedEdges]) {
      const n = this.nodes.get(e.child);
      if (n) touched.add(n.workflowId);
    }
    for (const id of this.work) {
      const n = this.nodes.get(id);
      if (n) touched.add(n.workflowId);
    }
    this.dirtyNodes = new Set();
    this.dirtyWorkflows = new Set();
    this.addedEdges = [];
    this.removedEdges = [];
    this.work = [];
    return [...touched];
  }

  // ---------------------------------------------------------------- actions

  /** Create a workflow's statically known entries and release its roots. Returns its id. */
  submit(doc: WorkflowDocument): number {
    validateSpec(doc);
    const id = this.nextWorkflowId++;
    const record: WorkflowRecord = { id, name: doc.name, doc, createdAt: this.now(), widthOverrides: {} };
    const { byId, idOf } = numberTemplates(doc.root);
    this.workflows.set(id, { record, templates: byId, idOf });
    this.dirtyWorkflows.add(id);
    this.entryCounts.set(id, 0);
    const frag = this.compile(id, 0, TOP_SCOPE);
    appendAll(this.work, frag.heads);
    this.drain();
    return id;
  }

  /** The executor started the entry. */
  markRunning(id: number, facts: Partial<Pick<RtNode, 'executor' | 'jobId' | 'host'>> = {}): boolean {
    const n = this.mustGet(id);
    if (n.state !== 'queued') return false;
    Object.assign(n, facts);
    n.startedAt = this.now();
    this.setState(n, 'running');
    return true;
  }

  /**
   * Start the entry over in a fresh run folder (the old one was never started and is now
   * claimed by the bridge, so a late start of the old job does nothing).
   */
  requeue(id: number): void {
    const n = this.mustGet(id);
    if (n.state !== 'queued' && n.state !== 'running')
      throw new ActionError(`entry ${id} ('${n.name}') is ${n.state}, not queued`);
    n.attempt += 1;
    n.queuedAt = this.now();
    n.startedAt = null;
    this.dirtyNodes.add(id);
    this.setState(n, 'queued');
  }

  /** Record executor facts (job id, host, the scheduler's start and end times) without a state change. */
  noteFacts(id: number, facts: Partial<Pick<RtNode, 'executor' | 'jobId' | 'host' | 'startedAt' | 'endedAt'>>): void {
    const n = this.mustGet(id);
    Object.assign(n, facts);
    this.dirtyNodes.add(id);
  }

  /**
   * A run ended. Returns false when the entry was no longer expecting a result (cancelled
   * meanwhile, or already finished): such late results are ignored.
   */
  finish(id: number, outcome: Outcome, opts: { retryResources?: string } = {}): boolean {
    const n = this.mustGet(id);
    if (n.state !== 'queued' && n.state !== 'running') return false;
    n.endedAt = this.now();
    switch (outcome.state) {
      case 'succeeded':
      case 'discarded':
        n.data = outcome.data;
        n.error = null;
        this.setState(n, outcome.state);
        break;
      case 'failed':
      case 'timed_out':
        n.error = outcome.error;
        if (n.attempt <= n.retries) {
          // An automatic retry: a new run folder, same entry (with more time or memory when the
          // executor asks, as MyQueue's kick does).
          if (opts.retryResources !== undefined) {
            parseResources(opts.retryResources);
            n.resources = opts.retryResources;
          }
          n.attempt += 1;
          n.queuedAt = this.now();
          n.startedAt = null;
          this.dirtyNodes.add(n.id);
          this.setState(n, 'queued');
        } else {
          this.setState(n, outcome.state);
        }
        break;
    }
    this.drain();
    return true;
  }

  /** Run a failed, timed-out, cancelled or discarded entry again; what waited below it resumes. */
  retry(id: number): void {
    const n = this.mustGet(id);
    const ok = isPlaceholder(n.kind) ? n.state === 'failed' || n.state === 'cancelled' : RETRYABLE.has(n.state);
    if (!ok) {
      throw new ActionError(
        `entry ${id} ('${n.name}') is ${n.state}: only failed, timed-out, cancelled or discarded entries can be retried`
      );
    }
    n.error = null;
    n.data = null;
    n.endedAt = null;
    this.reopenDescendants(id);
    this.setState(n, 'waiting');
    this.work.push(id);
    this.drain();
  }

  /**
   * PerQueue's `complete`, `discard` and `fail` of an entry by hand: the entry gets the result as
   * if its run had ended so, and what waits below it follows (children of a completed entry go
   * ahead, those of a discarded one are skipped, those of a failed one blocked). Refused while a
   * job is queued or running for it (cancel it first) and once it has succeeded.
   */
  settleByHand(
    id: number,
    state: 'succeeded' | 'discarded' | 'failed',
    result: { data?: JsonObject | null; error?: string | null } = {}
  ): void {
    const n = this.mustGet(id);
    if (n.kind !== 'task') {
      const what = n.kind === 'manual' ? 'a manual step: approve or reject it' : `a ${n.kind} group`;
      throw new ActionError(
        `entry ${id} ('${n.name}') is ${what}; only task entries can be completed, discarded or failed by hand`
      );
    }
    if (!BY_HAND.has(n.state)) {
      const why =
        n.state === 'succeeded' ? 'it has a result already' : 'a job is queued or running for it: cancel it first';
      throw new ActionError(`entry ${id} ('${n.name}') is ${n.state}: ${why}`);
    }
    const data = result.data ?? null;
    if (data !== null && (typeof data !== 'object' || Array.isArray(data))) {
      throw new ActionError(`entry ${id} ('${n.name}'), field 'data': must be a JSON object or null`);
    }
    n.data = state === 'failed' ? n.data : (data ?? {});
    n.error = state === 'failed' ? (result.error ?? 'failed by hand') : null;
    n.endedAt = this.now();
    this.reopenDescendants(id);
    this.setState(n, state);
    this.drain();
  }

  /** Cancel an entry and everything below it. Returns the entries that were queued or running. */
  cancel(id: number): number[] {
    this.mustGet(id);
    const hit: number[] = [];
    const seen = new Set<number>();
    const stack = [id];
    while (stack.length > 0) {
      const cur = stack.pop()!;
      if (seen.has(cur)) continue;
      seen.add(cur);
      const n = this.nodes.get(cur)!;
      if (CANCELLABLE.has(n.state)) {
        if (n.state === 'queued' || n.state === 'running') hit.push(cur);
        n.endedAt = this.now();
        this.setState(n, 'cancelled');
      }
      for (const e of this.childrenOf(cur)) stack.push(e.child);
    }
    this.drain();
    return hit;
  }

  /** Cancel every unfinished entry of a workflow. Returns the entries that were queued or running. */
  cancelWorkflow(workflowId: number): number[] {
    if (!this.workflows.has(workflowId)) throw new ActionError(`no active workflow ${workflowId}`);
    const hit: number[] = [];
    for (const n of this.nodesOf(workflowId)) {
      if (!CANCELLABLE.has(n.state)) continue;
      if (n.state === 'queued' || n.state === 'running') hit.push(n.id);
      n.endedAt = this.now();
      this.setState(n, 'cancelled');
    }
    this.drain();
    return hit;
  }

  /**
   * Change an entry's args/resources/code/retries, a cyclical group's max_tries or a DWG's width.
   * Every field is checked before any is applied: a refused change leaves everything as it was.
   */
  modify(id: number, m: Modification): void {
    const n = this.mustGet(id);
    const wf = this.workflows.get(n.workflowId)!;
    const editsEntry =
      m.args !== undefined || m.resources !== undefined || m.code !== undefined || m.retries !== undefined;
    if (editsEntry) {
      if (n.kind !== 'task' && n.kind !== 'manual') {
        throw new ActionError(`entry ${id} ('${n.name}') is a ${n.kind} group: args and resources belong to tasks`);
      }
      if (!EDITABLE.has(n.state)) {
        throw new ActionError(
          `entry ${id} ('${n.name}') is ${n.state}: args and resources can change only before it runs or after it failed`
        );
      }
      if (m.code !== undefined) {
        if (n.kind !== 'task') throw new ActionError(`entry ${id} ('${n.name}') is a manual step: it has no script`);
        if (typeof m.code !== 'string' || m.code.trim() === '') {
          throw new ActionError(`entry ${id} ('${n.name}'), field 'code': must be the path of a script`);
        }
      }
      if (m.args !== undefined && (typeof m.args !== 'object' || m.args === null || Array.isArray(m.args))) {
        throw new ActionError(`entry ${id} ('${n.name}'), field 'args': must be a JSON object`);
      }
      if (m.resources !== undefined) {
        if (n.kind !== 'task') throw new ActionError(`entry ${id} ('${n.name}') is a manual step: it has no resources`);
        try {
          parseResources(m.resources);
        } catch (e) {
          throw new ActionError(`entry ${id} ('${n.name}'), field 'resources': ${(e as Error).message}`);
        }
      }
      if (m.retries !== undefined && (!Number.isInteger(m.retries) || m.retries < 0)) {
        throw new ActionError(`entry ${id} ('${n.name}'), field 'retries': must be a whole number >= 0`);
      }
    }
    let cycle: RtNode | undefined;
    if (m.maxTries !== undefined) {
      cycle = n.kind === 'toggle' ? this.mustGet(n.cycleId!) : n;
      if (cycle.kind !== 'cyclical') {
        throw new ActionError(`entry ${id} ('${n.name}') is not a CyclicalGroup: max_tries applies to cyclical groups`);
      }
      if (!Number.isInteger(m.maxTries) || m.maxTries < 1) {
        throw new ActionError(
          `CyclicalGroup ${cycle.id} ('${cycle.name}'), field 'max_tries': must be a whole number >= 1`
        );
      }
    }
    if (m.width !== undefined) {
      if (n.kind !== 'dynamic_width') {
        throw new ActionError(
          `entry ${id} ('${n.name}') is not a DynamicWidthGroup: width applies to dynamic width groups`
        );
      }
      if (!Number.isInteger(m.width) || m.width < 0) {
        throw new ActionError(`DynamicWidthGroup ${id} ('${n.name}'), field 'width': must be a whole number >= 0`);
      }
      if (m.width > MAX_GROUP_WIDTH) {
        throw new ActionError(
          `DynamicWidthGroup ${id} ('${n.name}'), field 'width': ${m.width} is over the limit of ${MAX_GROUP_WIDTH.toLocaleString('en-US')} columns per group`
        );
      }
    }
    // Everything is valid: apply.
    if (editsEntry) {
      if (m.args !== undefined) n.args = m.args;
      if (m.resources !== undefined) n.resources = m.resources;
      if (m.code !== undefined) n.code = m.code;
      if (m.retries !== undefined) n.retries = m.retries;
      this.dirtyNodes.add(id);
    }
    if (cycle && m.maxTries !== undefined) {
      cycle.maxTries = m.maxTries;
      this.dirtyNodes.add(cycle.id);
    }
    if (m.width !== undefined) {
      // Applies to this group if it has not expanded yet and to every later copy (iterations to come).
      wf.record.widthOverrides[String(n.templateId)] = m.width;
      this.dirtyWorkflows.add(wf.record.id);
    }
    this.drain();
  }

  /** A person completed a manual step. */
  approve(id: number, data: JsonObject | undefined, by: string): void {
    const n = this.expectAwaiting(id);
    this.checkAgainstForm(n, data ?? {});
    n.data = data ?? {};
    n.completedBy = by;
    n.endedAt = this.now();
    this.setState(n, 'succeeded');
    this.drain();
  }

  /** A person rejected a manual step: the branch is discarded or the entry fails, as declared. */
  reject(id: number, by: string, reason = ''): void {
    const n = this.expectAwaiting(id);
    this.applyReject(n, by, reason);
    this.drain();
  }

  /** Apply the default (or the reject rule) to manual steps whose timeout has passed. */
  expireManualSteps(): number[] {
    const now = this.now();
    const expired: number[] = [];
    for (const id of this.awaiting) {
      const n = this.nodes.get(id)!;
      if (n.deadline === null || n.deadline > now) continue;
      expired.push(id);
      const spec = this.templateOf(n) as ManualTaskSpec;
      n.completedBy = 'timeout';
      n.endedAt = now;
      if (spec.default !== undefined) {
        n.data = spec.default;
        this.setState(n, 'succeeded');
      } else {
        this.applyReject(n, 'timeout', 'no answer before the timeout');
      }
    }
    this.drain();
    return expired;
  }

  /** Entries waiting for a person, across all workflows. */
  awaitingInput(): RtNode[] {
    return [...this.awaiting].map(id => this.nodes.get(id)!);
  }

  manualSpec(id: number): ManualTaskSpec {
    const n = this.mustGet(id);
    if (n.kind !== 'manual') throw new ActionError(`entry ${id} ('${n.name}') is not a manual step`);
    return this.templateOf(n) as ManualTaskSpec;
  }

  // ---------------------------------------------------------------- evaluation

  private drain(): void {
    while (this.work.length > 0) this.evaluate(this.work.pop()!);
  }

  /** Decide whether a waiting node can go ahead now. */
  private evaluate(id: number): void {
    const n = this.nodes.get(id);
    if (!n || (n.state !== 'waiting' && n.state !== 'blocked')) return;
    if ((this.blockingParents.get(id) ?? 0) > 0) {
      if (n.state === 'waiting') this.setState(n, 'blocked');
      return;
    }
    if (n.state === 'blocked') this.setState(n, 'waiting');
    if ((this.unsettledParents.get(id) ?? 0) > 0) return;
    // Every parent is settled. Within one join (the columns of one width group) a single
    // survivor is enough; every other parent must have succeeded.
    const survived = new Map<string, boolean>();
    for (const e of this.parentsOf(id)) {
      const key = e.join === null ? `p${e.parent}` : `j${e.join}`;
      const ok = this.nodes.get(e.parent)!.state === 'succeeded';
      survived.set(key, (survived.get(key) ?? false) || ok);
    }
    for (const ok of survived.values()) {
      if (!ok) {
        n.endedAt = this.now();
        this.setState(n, 'skipped');
        return;
      }
    }
    this.goAhead(n);
  }

  private goAhead(n: RtNode): void {
    const portProblem = this.portProblem(n);
    if (portProblem) {
      // Known only now, when the parents' outputs are: the entry fails with the reason.
      n.error = portProblem;
      n.endedAt = this.now();
      this.setState(n, 'failed');
      return;
    }
    switch (n.kind) {
      case 'task':
        n.attempt += 1;
        n.queuedAt = this.now();
        n.startedAt = null;
        n.endedAt = null;
        this.setState(n, 'queued');
        return;
      case 'manual': {
        const spec = this.templateOf(n) as ManualTaskSpec;
        n.attempt += 1;
        n.completedBy = null;
        n.deadline = spec.timeout !== undefined ? this.now() + spec.timeout * 1000 : null;
        this.setState(n, 'awaiting_input');
        return;
      }
      case 'dynamic_width':
        return this.resolveDynamicWidth(n);
      case 'cyclical':
        return this.resolveCyclical(n);
      case 'toggle':
        return this.resolveToggle(n);
      case 'switch':
        return this.resolveSwitch(n);
    }
  }

  private resolveDynamicWidth(p: RtNode): void {
    const merged = this.mergedParents(p);
    const override = this.workflows.get(p.workflowId)!.record.widthOverrides[String(p.templateId)];
    let width: Json | undefined = override;
    if (width === undefined) {
      const problem = this.controlValueProblem(merged, DYNAMICWIDTHGROUP_KEY, 'the number of columns');
      if (problem) return this.failPlaceholder(p, `DynamicWidthGroup '${p.name}': ${problem}`);
      width = merged.data[DYNAMICWIDTHGROUP_KEY];
    }
    if (typeof width !== 'number' || !Number.isInteger(width) || width < 0) {
      return this.failPlaceholder(
        p,
        `DynamicWidthGroup '${p.name}': '${DYNAMICWIDTHGROUP_KEY}' must be a whole number >= 0, got ${JSON.stringify(width)}`
      );
    }
    if (width > MAX_GROUP_WIDTH) {
      return this.failPlaceholder(
        p,
        `DynamicWidthGroup '${p.name}': a width of ${width} is over the limit of ${MAX_GROUP_WIDTH.toLocaleString('en-US')} columns per group`
      );
    }
    const body = this.bodyOf(p);
    const tooMany = this.entriesProblem(p, width * this.entriesOf(p.workflowId, body));
    if (tooMany) return this.failPlaceholder(p, `DynamicWidthGroup '${p.name}': ${width} columns ${tooMany}`);
    p.data = without(merged.data, DYNAMICWIDTHGROUP_KEY);
    const heads: number[] = [];
    const tails: Tail[] = [];
    for (let i = 0; i < width; i++) {
      const f = this.compile(p.workflowId, body, expansionScope(p, [i], p.iteration));
      appendAll(heads, f.heads);
      for (const t of f.tails) tails.push({ id: t.id, join: p.id });
    }
    this.expandInto(p, heads, tails, true);
  }

  private resolveCyclical(c: RtNode): void {
    const merged = this.mergedParents(c);
    c.data = without(merged.data, CYCLICALGROUP_KEY);
    this.startIteration(c, c, 0);
  }

  /** Build iteration k of cycle `c` after `gate` (the cyclical placeholder or the previous toggle). */
  private startIteration(c: RtNode, gate: RtNode, k: number): void {
    const body = this.bodyOf(c);
    const tooMany = this.entriesProblem(c, this.entriesOf(c.workflowId, body) + 1);
    if (tooMany) return this.failPlaceholder(gate, `CyclicalGroup '${c.name}': iteration ${k} ${tooMany}`);
    const scope = expansionScope(c, [], [...c.iteration, k]);
    const f = this.compile(c.workflowId, body, scope);
    const toggle = this.newNode(c.workflowId, 'toggle', c.templateId, `${c.name} #${k}`, scope);
    toggle.cycleId = c.id;
    toggle.cycleIteration = k;
    for (const t of f.tails) this.addEdge({ child: toggle.id, parent: t.id, join: t.join });
    this.expandInto(gate, f.heads, [{ id: toggle.id, join: null }], false);
  }

  private resolveToggle(t: RtNode): void {
    const c = this.mustGet(t.cycleId!);
    const k = t.cycleIteration!;
    const merged = this.mergedParents(t);
    const stopValue = merged.data[CYCLICALGROUP_KEY];
    if (stopValue === undefined) {
      return this.failPlaceholder(
        t,
        `CyclicalGroup '${c.name}': the last tasks of iteration ${k} returned no '${CYCLICALGROUP_KEY}' ` +
          '(true stops the loop, false runs another iteration)'
      );
    }
    // Several last tasks: the loop stops only when none of them asks for another round.
    const stop = merged.gathered.has(CYCLICALGROUP_KEY)
      ? Object.values(stopValue as JsonObject).every(v => v !== false)
      : stopValue !== false;
    t.data = without(merged.data, CYCLICALGROUP_KEY);
    if (stop) {
      t.endedAt = this.now();
      this.setState(t, 'succeeded');
      return;
    }
    if (k + 1 >= (c.maxTries ?? 1)) {
      return this.failPlaceholder(
        t,
        `CyclicalGroup '${c.name}' ran out of tries: ${c.maxTries} iteration(s) ran and none returned ` +
          `'${CYCLICALGROUP_KEY}' true; raise max_tries and retry this entry to go on`
      );
    }
    this.startIteration(c, t, k + 1);
  }

  private resolveSwitch(s: RtNode): void {
    const merged = this.mergedParents(s);
    const problem = this.controlValueProblem(merged, SWITCHGROUP_KEY, 'the branch to run');
    if (problem) return this.failPlaceholder(s, `SwitchGroup '${s.name}': ${problem}`);
    const key = String(merged.data[SWITCHGROUP_KEY]);
    s.data = without(merged.data, SWITCHGROUP_KEY);
    const spec = this.templateOf(s);
    if (spec.kind !== 'switch') throw new Error(`template ${s.templateId} is not a switch`);
    if (key === SWITCHGROUP_SKIP) {
      s.endedAt = this.now();
      this.setState(s, 'succeeded');
      return;
    }
    const branch = spec.branches[key];
    if (!branch) {
      const valid = Object.keys(spec.branches)
        .map(k => `'${k}'`)
        .join(', ');
      return this.failPlaceholder(
        s,
        `SwitchGroup '${s.name}': unknown '${SWITCHGROUP_KEY}' value '${key}'; valid keys: ${valid} (or '${SWITCHGROUP_SKIP}' to skip)`
      );
    }
    const branchId = this.templateIdOf(s.workflowId, branch);
    const tooMany = this.entriesProblem(s, this.entriesOf(s.workflowId, branchId));
    if (tooMany) return this.failPlaceholder(s, `SwitchGroup '${s.name}': the branch '${key}' ${tooMany}`);
    const f = this.compile(s.workflowId, branchId, expansionScope(s, [], s.iteration));
    this.expandInto(s, f.heads, f.tails, false);
  }

  /**
   * Put an expansion below placeholder `gate`: its heads depend on the gate, and whatever
   * depended on the gate now depends on the expansion's tails. An empty expansion leaves the
   * gate's children where they are, so they get the gate's pass-through data.
   */
  private expandInto(gate: RtNode, heads: number[], tails: Tail[], widthGroup: boolean): void {
    for (const h of heads) this.addEdge({ child: h, parent: gate.id, join: null });
    if (tails.length > 0) {
      for (const e of [...this.childrenOf(gate.id)]) {
        if (heads.includes(e.child)) continue;
        this.removeEdge(e);
        for (const t of tails) {
          this.addEdge({ child: e.child, parent: t.id, join: e.join ?? (widthGroup ? gate.id : t.join) });
        }
      }
    }
    gate.endedAt = this.now();
    this.dirtyNodes.add(gate.id);
    if (gate.state !== 'succeeded') this.setState(gate, 'succeeded');
    else for (const h of heads) this.work.push(h);
  }

  /** Why a control key cannot be read from the parents' data, or null when it can. */
  private controlValueProblem(merged: Merged, key: string, what: string): string | null {
    if (!(key in merged.data)) return `no parent returned '${key}' (${what})`;
    if (merged.gathered.has(key)) {
      return `the parents disagree on '${key}': ${JSON.stringify(merged.data[key])} (parent entry id: value)`;
    }
    return null;
  }

  /** Entries that compiling template `templateId` of a workflow makes. */
  private entriesOf(workflowId: number, templateId: number): number {
    return countEntries(this.workflows.get(workflowId)!.templates[templateId].spec);
  }

  /** Why adding `more` entries to p's workflow is refused, or null when they fit. */
  private entriesProblem(p: RtNode, more: number): string | null {
    const now = this.entryCounts.get(p.workflowId) ?? 0;
    if (now + more <= MAX_WORKFLOW_ENTRIES) return null;
    return (
      `would add ${more.toLocaleString('en-US')} entries to the workflow's ${now.toLocaleString('en-US')}, ` +
      `over the limit of ${MAX_WORKFLOW_ENTRIES.toLocaleString('en-US')} entries per workflow`
    );
  }

  private failPlaceholder(p: RtNode, error: string): void {
    p.error = error;
    p.endedAt = this.now();
    this.setState(p, 'failed');
  }

  private applyReject(n: RtNode, by: string, reason: string): void {
    const spec = this.templateOf(n) as ManualTaskSpec;
    n.completedBy = by;
    n.endedAt = this.now();
    if (spec.onReject === 'discard') {
      n.data = {};
      this.setState(n, 'discarded');
    } else {
      n.error = `rejected by ${by}${reason ? `: ${reason}` : ''}`;
      this.setState(n, 'failed');
    }
  }

  /** Refuse (before anything changes) data the step's form does not accept. */
  private checkAgainstForm(n: RtNode, data: JsonObject): void {
    const spec = this.templateOf(n) as ManualTaskSpec;
    if (spec.form === undefined) return;
    const problems = validateAgainstForm(spec.form, data, 'data');
    if (problems.length === 0) return;
    const wf = this.workflows.get(n.workflowId)!;
    throw new FormDataError(
      {
        workflowId: wf.record.id,
        workflow: wf.record.name,
        entryId: n.id,
        entry: n.name,
        node: wf.templates[n.templateId].path
      },
      problems.map(describeProblem)
    );
  }

  private expectAwaiting(id: number): RtNode {
    const n = this.mustGet(id);
    if (n.kind !== 'manual') throw new ActionError(`entry ${id} ('${n.name}') is not a manual step`);
    if (n.state !== 'awaiting_input') {
      throw new ActionError(`entry ${id} ('${n.name}') is ${n.state}, not awaiting input`);
    }
    return n;
  }

  /** Blocked, cancelled and skipped descendants go back to waiting so they can run after a retry. */
  private reopenDescendants(id: number): void {
    const stack = this.childrenOf(id).map(e => e.child);
    const seen = new Set<number>();
    while (stack.length > 0) {
      const cur = stack.pop()!;
      if (seen.has(cur)) continue;
      seen.add(cur);
      const n = this.nodes.get(cur)!;
      if (n.state === 'blocked' || n.state === 'cancelled' || n.state === 'skipped') {
        n.error = null;
        n.endedAt = null;
        this.setState(n, 'waiting');
        this.work.push(cur);
        for (const e of this.childrenOf(cur)) stack.push(e.child);
      }
    }
  }

  // ---------------------------------------------------------------- data

  private succeededParents(n: RtNode): RtNode[] {
    const out: RtNode[] = [];
    for (const e of this.parentsOf(n.id)) {
      const p = this.nodes.get(e.parent)!;
      if (p.state === 'succeeded') out.push(p);
    }
    return out.sort((a, b) => a.id - b.id);
  }

  /**
   * The entries whose outputs reach `n`: group placeholders pass data through, so behind one
   * stand its own parents (the tasks before a DWG, the last tasks of the previous iteration).
   */
  private dataParents(n: RtNode): { parents: RtNode[]; joinOf: Map<number, number>; via: Map<number, RtNode> } {
    const out = new Map<number, RtNode>();
    const joinOf = new Map<number, number>();
    const via = new Map<number, RtNode>(); // each entry -> the parent of n it reaches n through
    const visit = (node: RtNode, direct: RtNode | null) => {
      for (const e of this.parentsOf(node.id)) {
        const p = this.nodes.get(e.parent)!;
        if (p.state !== 'succeeded') continue;
        if (isPlaceholder(p.kind)) visit(p, direct ?? p);
        else {
          out.set(p.id, p);
          if (!via.has(p.id)) via.set(p.id, direct ?? p);
          if (e.join !== null) joinOf.set(p.id, e.join);
        }
      }
    };
    visit(n, null);
    return { parents: [...out.values()].sort((a, b) => a.id - b.id), joinOf, via };
  }

  private mergedParents(n: RtNode): Merged {
    return mergeParentData(this.succeededParents(n).map(p => ({ id: p.id, data: this.portedData(n, p).data })));
  }

  /**
   * The ports of the workflow edge that joins `n` to its parent `p`: found at the innermost
   * workflow holding both, where they sit in different nodes. Null when the edge has none.
   */
  private portsBetween(n: RtNode, p: RtNode): { ports: Ports; parentItem: string; node: string } | null {
    const templates = this.workflows.get(n.workflowId)!.templates;
    const below = new Map<number, string | null>(); // ancestor of n -> n's node id inside it
    for (
      let t: number | null = n.templateId, item: string | null = null;
      t !== null;
      item = templates[t].item, t = templates[t].parent
    ) {
      below.set(t, item);
    }
    let t: number | null = p.templateId;
    let parentItem: string | null = null;
    while (t !== null && !below.has(t)) {
      parentItem = templates[t].item;
      t = templates[t].parent;
    }
    if (t === null) return null;
    const childItem = below.get(t);
    const spec = templates[t].spec;
    if (spec.kind !== 'workflow' || !childItem || !parentItem || childItem === parentItem) return null;
    const ports = spec.nodes.find(x => x.id === childItem)?.ports?.[parentItem];
    if (!ports || Object.keys(ports).length === 0) return null;
    return { ports, parentItem, node: itemPath(templates[t].path, childItem) };
  }

  /**
   * A parent's data as it reaches `n`, PerQueue's way: through ports only the named keys,
   * renamed; a source key 'None' is the parent's first value, and 'None' -> 'None' all its data.
   * A named key the parent did not return is a problem (PerQueue passed None in silence).
   */
  private portedData(n: RtNode, p: RtNode, via: RtNode = p): { data: JsonObject; problem?: string } {
    const data = p.data ?? {};
    const edge = this.portsBetween(n, via);
    if (!edge) return { data };
    const entries = Object.entries(edge.ports);
    if (entries.some(([source, target]) => source === 'None' && target === 'None')) return { data };
    const out: JsonObject = {};
    for (const [source, target] of entries) {
      if (source === 'None') {
        out[target] = Object.values(data)[0] ?? null;
      } else if (source in data) {
        out[target] = data[source];
      } else {
        const wf = this.workflows.get(n.workflowId)!.record.name;
        const returned = Object.keys(data).join(', ') || 'nothing';
        return {
          data: out,
          problem:
            `workflow '${wf}', task '${n.name}' (${edge.node}), field 'ports.${edge.parentItem}.${source}': ` +
            `the parent '${p.name}' (entry ${p.id}) returned no '${source}' for the argument '${target}' (it returned: ${returned})`
        };
      }
    }
    return { data: out };
  }

  /** The first port that names a key its parent did not return, or null. */
  private portProblem(n: RtNode): string | null {
    for (const p of this.succeededParents(n)) {
      const problem = this.portedData(n, p).problem;
      if (problem) return problem;
    }
    return null;
  }

  // ---------------------------------------------------------------- compilation

  /** Make the runtime nodes of one spec node (groups with a runtime width become placeholders). */
  private compile(workflowId: number, templateId: number, scope: Scope): Fragment {
    const spec = this.workflows.get(workflowId)!.templates[templateId].spec;
    switch (spec.kind) {
      case 'task':
      case 'manual': {
        const n = this.newNode(workflowId, spec.kind, templateId, spec.name, scope);
        n.args = spec.args;
        if (spec.kind === 'task') {
          n.code = spec.code;
          n.resources = spec.resources;
          n.retries = spec.retries ?? 0;
        }
        return { heads: [n.id], tails: [{ id: n.id, join: null }] };
      }
      case 'workflow': {
        const frags = new Map<string, Fragment>();
        const isParent = new Set<string>();
        for (const item of topologicalOrder(spec.nodes)) {
          const f = this.compile(workflowId, this.templateIdOf(workflowId, item.node), scope);
          for (const p of item.parents) {
            isParent.add(p);
            for (const h of f.heads)
              for (const t of frags.get(p)!.tails) this.addEdge({ child: h, parent: t.id, join: t.join });
          }
          frags.set(item.id, f);
        }
        const heads: number[] = [];
        const tails: Tail[] = [];
        for (const item of spec.nodes) {
          const f = frags.get(item.id)!;
          if (item.parents.length === 0) appendAll(heads, f.heads);
          if (!isParent.has(item.id)) appendAll(tails, f.tails);
        }
        return { heads, tails };
      }
      case 'static_width': {
        const join = this.nextNodeId++; // a number no node uses: names this group's join
        const body = this.templateIdOf(workflowId, spec.body);
        const heads: number[] = [];
        const tails: Tail[] = [];
        for (let i = 0; i < spec.width; i++) {
          const f = this.compile(workflowId, body, { ...scope, staticIndex: [i, ...scope.staticIndex], groupId: join });
          appendAll(heads, f.heads);
          for (const t of f.tails) tails.push({ id: t.id, join });
        }
        return { heads, tails };
      }
      case 'dynamic_width':
      case 'cyclical':
      case 'switch': {
        const p = this.newNode(workflowId, spec.kind, templateId, nodeName(spec), scope);
        if (spec.kind === 'cyclical') p.maxTries = spec.maxTries;
        return { heads: [p.id], tails: [{ id: p.id, join: null }] };
      }
    }
  }

  private newNode(workflowId: number, kind: RtKind, templateId: number, name: string, scope: Scope): RtNode {
    const n = blankNode({ id: this.nextNodeId++, workflowId, kind, templateId, name, createdAt: this.now() });
    n.index = indexIn(scope);
    n.iteration = scope.iteration;
    n.groupId = scope.groupId;
    this.nodes.set(n.id, n);
    this.entryCounts.set(workflowId, (this.entryCounts.get(workflowId) ?? 0) + 1);
    this.dirtyNodes.add(n.id);
    return n;
  }

  /** The spec node an entry was made from. */
  specOf(n: RtNode): NodeSpec {
    return this.templateOf(n);
  }

  private templateOf(n: RtNode): NodeSpec {
    return this.workflows.get(n.workflowId)!.templates[n.templateId].spec;
  }

  private bodyOf(p: RtNode): number {
    const spec = this.templateOf(p);
    if (spec.kind !== 'dynamic_width' && spec.kind !== 'cyclical')
      throw new Error(`template ${p.templateId} has no body`);
    return this.templateIdOf(p.workflowId, spec.body);
  }

  private templateIdOf(workflowId: number, spec: NodeSpec): number {
    const id = this.workflows.get(workflowId)!.idOf.get(spec);
    if (id === undefined) throw new Error('template not found');
    return id;
  }

  // ---------------------------------------------------------------- graph bookkeeping

  private mustGet(id: number): RtNode {
    const n = this.nodes.get(id);
    if (!n) throw new ActionError(`no entry ${id} in an active workflow`);
    return n;
  }

  private linkEdge(e: RtEdge): void {
    let ps = this.parentEdges.get(e.child);
    if (!ps) this.parentEdges.set(e.child, (ps = []));
    ps.push(e);
    let cs = this.childEdges.get(e.parent);
    if (!cs) this.childEdges.set(e.parent, (cs = []));
    cs.push(e);
    const parentState = this.nodes.get(e.parent)!.state;
    if (!isSettled(parentState)) this.bump(this.unsettledParents, e.child, 1);
    if (isBlocking(parentState)) this.bump(this.blockingParents, e.child, 1);
  }

  private addEdge(e: RtEdge): void {
    this.linkEdge(e);
    this.addedEdges.push(e);
  }

  private removeEdge(e: RtEdge): void {
    const ps = this.parentEdges.get(e.child)!;
    ps.splice(ps.indexOf(e), 1);
    const cs = this.childEdges.get(e.parent)!;
    cs.splice(cs.indexOf(e), 1);
    const parentState = this.nodes.get(e.parent)!.state;
    if (!isSettled(parentState)) this.bump(this.unsettledParents, e.child, -1);
    if (isBlocking(parentState)) this.bump(this.blockingParents, e.child, -1);
    this.removedEdges.push(e);
  }

  /** Counters hold only non-zero values: an entry without parents (most of a wide group) costs nothing. */
  private bump(map: Map<number, number>, id: number, by: number): void {
    const value = (map.get(id) ?? 0) + by;
    if (value === 0) map.delete(id);
    else map.set(id, value);
  }

  /** The one place a state changes: keeps the parent counters and the work list right. */
  private setState(n: RtNode, state: EntryState): void {
    const old = n.state;
    if (old === state) return;
    n.state = state;
    this.dirtyNodes.add(n.id);
    if (state === 'awaiting_input') this.awaiting.add(n.id);
    else this.awaiting.delete(n.id);
    const settledDelta = Number(isSettled(state)) - Number(isSettled(old));
    const blockingDelta = Number(isBlocking(state)) - Number(isBlocking(old));
    for (const e of this.childrenOf(n.id)) {
      if (settledDelta !== 0) this.bump(this.unsettledParents, e.child, -settledDelta);
      if (blockingDelta !== 0) this.bump(this.blockingParents, e.child, blockingDelta);
      if (settledDelta !== 0 || blockingDelta !== 0) this.work.push(e.child);
    }
  }
}

/**
 * PerQueue's order of a child's parents: ascending entry key. PerQueue numbers the entries of a
 * width group's columns last column first (it inserts a graph in reversed topological order), so
 * the columns of one join come in descending column order; everything else in creation order.
 * `parents` is in id order; the columns of each join keep their places but are reversed.
 */
function pqParentOrder(parents: RtNode[], joinOf: Map<number, number>): RtNode[] {
  const byJoin = new Map<number, RtNode[]>();
  for (const p of parents) {
    const j = joinOf.get(p.id);
    if (j !== undefined) (byJoin.get(j) ?? byJoin.set(j, []).get(j)!).push(p);
  }
  const next = new Map<number, number>([...byJoin.keys()].map(j => [j, byJoin.get(j)!.length - 1]));
  return parents.map(p => {
    const j = joinOf.get(p.id);
    if (j === undefined) return p;
    const i = next.get(j)!;
    next.set(j, i - 1);
    return byJoin.get(j)![i];
  });
}

/** Append without an argument spread: `push(...xs)` overflows the stack for large arrays. */
function appendAll<T>(to: T[], items: readonly T[]): void {
  for (const x of items) to.push(x);
}

/** Workflow nodes ordered so that parents come first; ties keep the written order. */
function topologicalOrder<T extends { id: string; parents: string[] }>(items: T[]): T[] {
  const byId = new Map(items.map(i => [i.id, i]));
  const done = new Set<string>();
  const out: T[] = [];
  const visit = (i: T) => {
    if (done.has(i.id)) return;
    done.add(i.id);
    for (const p of i.parents) visit(byId.get(p)!);
    out.push(i);
  };
  items.forEach(visit);
  return out;
}
