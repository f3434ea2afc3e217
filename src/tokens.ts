// Public surface of the PerQueue Lab frontend: the model token, command ids and the shapes the
// bridge API returns. Nothing here talks to the server or touches the DOM.
import { Token } from '@lumino/coreutils';
import type { ISignal } from '@lumino/signaling';

import type { RtEdge, RtKind, RtNode } from '../core/model.js';
import type { EntryState } from '../core/states.js';

/** Every action is a command; palette, menus and panels reuse these ids. */
export enum CommandIDs {
  openSidebar = 'perqueue:open-sidebar',
  refresh = 'perqueue:refresh',
  openWorkflow = 'perqueue:open-workflow',
  cancelWorkflow = 'perqueue:cancel-workflow',
  removeWorkflow = 'perqueue:remove-workflow',
  showProject = 'perqueue:show-project',
  retryEntry = 'perqueue:retry-entry',
  cancelEntry = 'perqueue:cancel-entry',
  showEntry = 'perqueue:show-entry',
  modifyEntry = 'perqueue:modify-entry',
  openRunFolder = 'perqueue:open-run-folder',
  copyEntryId = 'perqueue:copy-entry-id',
  showFullLog = 'perqueue:show-full-log',
  // Human steps (the details pane, the Approvals panel, step notebooks and the palette): act on
  // the entry id given in the arguments, else the current step notebook's, else one picked.
  openStep = 'perqueue:open-step',
  approveStep = 'perqueue:approve',
  rejectStep = 'perqueue:reject',
  showApprovals = 'perqueue:show-approvals',
  /** The timeline of a workflow (its `workflowId`, the right-clicked one, else the current one or one picked). */
  showTimeline = 'perqueue:show-timeline',
  // The workflow-definition builder and archived databases.
  newDefinition = 'perqueue:new-workflow-definition',
  submitDefinition = 'perqueue:submit-definition'
}

export namespace PerQueue {
  export type State = EntryState;
  export type Kind = RtKind;

  /** One row of GET /api/workflows. */
  export interface WorkflowSummary {
    id: number;
    name: string;
    createdAt: number;
    total: number;
    counts: Partial<Record<EntryState, number>>;
    state: string;
  }

  /**
   * A runtime node as the bridge sends it. The bridge may send more fields than the core model
   * knows, and older bridges fewer, so everything beyond the identity is optional.
   */
  export type Node = Pick<RtNode, 'id' | 'workflowId' | 'kind' | 'name' | 'state'> &
    Partial<Omit<RtNode, 'id' | 'workflowId' | 'kind' | 'name' | 'state'>> & {
      [extra: string]: unknown;
    };

  export type Edge = RtEdge;

  /** GET /api/workflows/{id}. */
  export interface WorkflowDetail {
    workflow: { id: number; name: string; createdAt: number };
    nodes: Node[];
    edges: Edge[];
  }

  /** GET /api/entries/{id}. */
  export interface EntryDetail {
    node: Node;
    input: unknown;
    /** What the entry is (or was) called with: its args merged with its parents' data. */
    kwargs?: Record<string, unknown>;
    /** The parents' merged data alone, as it reaches the entry. */
    parentData?: Record<string, unknown>;
    runDir: string | null;
  }

  /**
   * One item of the event stream; `seq` grows strictly. A node event names the entry and its new
   * state; a bridge may also send the whole node.
   */
  export interface BridgeEvent {
    seq: number;
    type: 'node' | 'workflow';
    workflowId: number;
    nodeId?: number | null;
    state?: string | null;
    at?: number;
    node?: Node;
  }

  export interface EventBatch {
    events: BridgeEvent[];
    last: number;
  }

  export interface Versions {
    version: string;
    apiVersion: number;
    /** Seq of the newest event, when the bridge tells it (the resume point of a fresh client). */
    lastSeq?: number;
    /** Added by the Jupyter server extension. */
    serverExtension?: string;
    /** The project folder whose bridge this server shows (absolute), from the server extension. */
    projectDir?: string;
    /** Its name: the path below the server's root ('' for the root). */
    project?: string;
    bridge?: { version: string; apiVersion: number };
    /** Whether the bridge can write its store: not ok while a full disk pauses it, or while it stops. */
    storage?: { ok: boolean; problem?: string; message?: string; fatal?: boolean };
  }

  /** A project the server can show (GET /perqueue/projects). */
  export interface Project {
    /** Path below the server's root ('' for the root), as the `project` query parameter. */
    name: string;
    /** Absolute folder. */
    dir: string;
    /** The server's own project (shown when none is chosen). */
    default: boolean;
  }

  export interface ModifyRequest {
    args?: Record<string, unknown>;
    resources?: string;
    maxTries?: number;
    width?: number;
  }

  /** One item of GET /api/approvals, with only the fields this frontend reads. */
  export interface Approval {
    node: {
      id: number;
      workflowId: number;
      name: string;
      state: string;
      kind?: string;
      index?: number[];
      iteration?: number[];
      args?: Record<string, unknown> | null;
      startedAt?: number | null;
      createdAt?: number | null;
      deadline?: number | null;
      [extra: string]: unknown;
    };
    spec: {
      kind?: string;
      name?: string;
      notebook?: string;
      form?: Record<string, unknown>;
      timeout?: number;
      default?: Record<string, unknown>;
      onReject?: 'discard' | 'fail';
      [extra: string]: unknown;
    };
  }

  /** What a person answers to a human step; `by` names who (absent when unknown). */
  export interface Approve {
    data?: Record<string, unknown>;
    by?: string;
  }

  export interface Reject {
    reason?: string;
    by?: string;
  }

  /** How the live connection to the bridge is doing, as the views show it. */
  export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting' | 'unavailable';

  export interface ConnectionInfo {
    status: ConnectionStatus;
    /** Why the bridge is unreachable, with the fix when the server said it. */
    message: string;
  }
}

/** The UI-free model every view renders. */
export interface IPerQueueModel {
  readonly workflows: ReadonlyArray<PerQueue.WorkflowSummary>;
  readonly connection: PerQueue.ConnectionInfo;
  readonly versions: PerQueue.Versions | null;
  /** Seq of the last event applied. */
  readonly lastSeq: number;
  readonly workflowsChanged: ISignal<IPerQueueModel, ReadonlyArray<PerQueue.WorkflowSummary>>;
  readonly workflowChanged: ISignal<IPerQueueModel, number>;
  readonly connectionChanged: ISignal<IPerQueueModel, PerQueue.ConnectionInfo>;
  readonly eventReceived: ISignal<IPerQueueModel, PerQueue.BridgeEvent>;
  /** A workflow was removed from the project (its id); it has left the list already. */
  readonly workflowRemoved: ISignal<IPerQueueModel, number>;
  /** The project shown: its path below the server's root, or null for the server's own. */
  readonly project: string | null;
  /** Another project is shown (its name): views of the former one close or reload. */
  readonly projectChanged: ISignal<IPerQueueModel, string | null>;
  /** The projects the server can show, its own first. */
  projects(): Promise<PerQueue.Project[]>;
  /** Show another project: its workflows, graphs and live events replace the current ones. */
  setProject(project: string | null): Promise<void>;

  /** The cached graph of a workflow, or null before `loadWorkflow`. */
  workflow(id: number): PerQueue.WorkflowDetail | null;
  loadWorkflow(id: number): Promise<PerQueue.WorkflowDetail>;
  /** Stop keeping a workflow's graph up to date. */
  releaseWorkflow(id: number): void;
  node(workflowId: number, entryId: number): PerQueue.Node | null;
  refresh(): Promise<void>;

  entry(id: number): Promise<PerQueue.EntryDetail>;
  /** False when there are no logs to show at all (an archive exported without them). */
  readonly logsAvailable?: boolean;
  /** The last `lines` lines of an entry's stdout or stderr. */
  log(id: number, stream: 'stdout' | 'stderr', lines?: number): Promise<string>;
  retryEntry(id: number): Promise<void>;
  cancelEntry(id: number): Promise<void>;
  /** The human steps waiting for a person (GET /api/approvals). */
  approvals(): Promise<PerQueue.Approval[]>;
  /** Makes (once per attempt) a waiting step's notebook copy; its path relative to the project. */
  stepNotebook(id: number): Promise<string>;
  approveEntry(id: number, answer: PerQueue.Approve): Promise<void>;
  rejectEntry(id: number, answer: PerQueue.Reject): Promise<void>;
  modifyEntry(id: number, change: PerQueue.ModifyRequest): Promise<void>;
  cancelWorkflow(id: number): Promise<void>;
  /** A request to the shown project's bridge API (`path` below /api), for views with routes of their own. */
  request<T>(path: string, init?: RequestInit): Promise<T>;
  /** Remove a finished, failed or cancelled workflow (the bridge refuses any other). */
  removeWorkflow(id: number): Promise<void>;
  submit(spec: unknown): Promise<number>;
}

export const IPerQueueModel = new Token<IPerQueueModel>(
  'perqueue-lab:IPerQueueModel',
  'The PerQueue Lab model: workflows, their graphs and the live event stream from the bridge.'
);
