// The UI-free model of PerQueue Lab: the workflow list, the graphs of opened workflows, and the
// live event stream from the bridge. It owns the stream and its resume point (the seq of the
// last applied event), so after any reconnect it asks for exactly what it missed: every event
// is applied once, none is lost. Views only render it and listen to its signals.
import { Signal } from '@lumino/signaling';

import { IPerQueueClient, PerQueueApiError } from './client';
import { ModelSignals } from './modelSignals';
import { mergeSnapshot, refetchDelay } from './snapshots';
import { IPerQueueModel, PerQueue } from './tokens';

/** The API version this frontend speaks. */
const API_VERSION = 1;

interface IModelOptions {
  client: IPerQueueClient;
  /** 'websocket' falls back to long polling by itself when sockets never open. */
  transport?: 'websocket' | 'poll';
  /** Long-poll wait in seconds. */
  pollTimeout?: number;
  /** Waits between reconnect attempts, in ms; the last one repeats. */
  retryDelays?: number[];
  /** Coalesces bursts of events into one list refresh / one graph notification (ms). */
  settleMs?: number;
  /** Coalesces refetches of an open workflow's graph after events (ms; longer for large workflows: refetchDelay). */
  graphSettleMs?: number;
  /** How often the bridge's storage condition (a full disk) is asked for while connected (ms). */
  storageCheckMs?: number;
}

interface IGraphState {
  detail: PerQueue.WorkflowDetail;
  positions: Map<number, number>;
  /** Node events that arrived while a fresh snapshot was loading, replayed on top of it. */
  buffer: PerQueue.BridgeEvent[] | null;
  loading: Promise<PerQueue.WorkflowDetail> | null;
  refetchTimer: ReturnType<typeof setTimeout> | null;
}

/** Socket attempts that never opened before switching to long polling. */
const SOCKET_FAILURES_BEFORE_POLL = 3;

export class PerQueueModel extends ModelSignals implements IPerQueueModel {
  constructor(options: IModelOptions) {
    super();
    this._client = options.client;
    this._transport = options.transport ?? 'websocket';
    this._pollTimeout = options.pollTimeout ?? 25;
    this._retryDelays = options.retryDelays?.length ? options.retryDelays : [500, 1000, 2000, 5000, 10000];
    this._settleMs = options.settleMs ?? 100;
    this._graphSettleMs = options.graphSettleMs ?? Math.max(this._settleMs, 500);
    this._storageCheckMs = options.storageCheckMs ?? 5000;
  }

  get workflows(): ReadonlyArray<PerQueue.WorkflowSummary> {
    return this._workflows;
  }
  get connection(): PerQueue.ConnectionInfo {
    return this._connection;
  }
  get versions(): PerQueue.Versions | null {
    return this._versions;
  }
  get lastSeq(): number {
    return this._lastSeq;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  /**
   * Connects: version handshake, then the live stream, then a snapshot taken once the stream
   * is open (so nothing falls between the two). Never throws; retries until disposed.
   */
  async start(): Promise<void> {
    if (this._started || this._disposed) {
      return;
    }
    this._started = true;
    await this._connect();
  }

  /** The project shown: its path below the server's root, or null for the server's own. */
  get project(): string | null {
    return this._client.project;
  }

  projects(): Promise<PerQueue.Project[]> {
    return this._client.listProjects();
  }

  /**
   * Shows another project: everything of the current one (list, graphs, stream, resume point)
   * is dropped, then the model connects to the other as at start. Answers still on their way
   * from the former project are recognised by their generation and ignored.
   */
  async setProject(project: string | null): Promise<void> {
    if (this._disposed || project === this._client.project) {
      return;
    }
    this._generation++;
    this._stopAll();
    this._client.project = project;
    this._workflows = [];
    this._versions = null;
    this._lastSeq = 0;
    this._resumeKnown = false;
    this._synced = false;
    this._attempt = 0;
    this._socketFailures = 0;
    this._workflowsChanged.emit(this._workflows);
    this._projectChanged.emit(project);
    if (this._started) {
      await this._connect();
    }
  }

  /** Handshake (retried until it answers), then the stream; for the current generation only. */
  private async _connect(): Promise<void> {
    const generation = this._generation;
    const current = () => !this._disposed && generation === this._generation;
    this._setConnection('connecting', '');
    let attempt = 0;
    while (current()) {
      try {
        await this._handshake(generation);
        break;
      } catch (error) {
        if (!current()) {
          return;
        }
        this._setConnection('unavailable', describe(error));
        await this._sleep(this._delay(attempt++));
      }
    }
    if (current()) {
      this._watchStorage(generation);
      this._runStream();
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._stopAll();
    Signal.clearData(this);
  }

  /** Stops the stream and every timer, and drops the cached graphs. */
  private _stopAll(): void {
    this._closeSocket?.();
    this._closeSocket = null;
    for (const timer of this._timers) {
      clearTimeout(timer);
    }
    this._timers.clear();
    this._listTimer = null;
    this._dirtyTimer = null;
    this._dirty.clear();
    for (const id of [...this._graphs.keys()]) {
      this.releaseWorkflow(id);
    }
  }

  workflow(id: number): PerQueue.WorkflowDetail | null {
    return this._graphs.get(id)?.detail ?? null;
  }

  node(workflowId: number, entryId: number): PerQueue.Node | null {
    const state = this._graphs.get(workflowId);
    const at = state?.positions.get(entryId);
    return state && at !== undefined ? state.detail.nodes[at] : null;
  }

  async loadWorkflow(id: number): Promise<PerQueue.WorkflowDetail> {
    const known = this._graphs.get(id);
    if (known) {
      return known.loading ?? known.detail;
    }
    const state: IGraphState = {
      detail: { workflow: { id, name: '', createdAt: 0 }, nodes: [], edges: [] },
      positions: new Map(),
      buffer: null,
      loading: null,
      refetchTimer: null
    };
    this._graphs.set(id, state);
    try {
      return await this._fetchGraph(id, state);
    } catch (error) {
      this._graphs.delete(id);
      throw error;
    }
  }

  releaseWorkflow(id: number): void {
    const state = this._graphs.get(id);
    if (state?.refetchTimer) {
      clearTimeout(state.refetchTimer);
    }
    this._graphs.delete(id);
  }

  async refresh(): Promise<void> {
    const generation = this._generation;
    const list = await this._client.listWorkflows();
    if (generation !== this._generation) {
      return; // the list of a project no longer shown
    }
    this._workflows = list;
    this._workflowsChanged.emit(list);
  }

  entry(id: number): Promise<PerQueue.EntryDetail> {
    return this._client.entry(id);
  }
  /** The last `lines` lines of an entry's log. */
  log(id: number, stream: 'stdout' | 'stderr', lines = 200): Promise<string> {
    return this._client.log(id, stream, lines);
  }
  retryEntry(id: number): Promise<void> {
    return this._client.retryEntry(id);
  }
  cancelEntry(id: number): Promise<void> {
    return this._client.cancelEntry(id);
  }
  approvals(): Promise<PerQueue.Approval[]> {
    return this._client.approvals();
  }
  stepNotebook(id: number): Promise<string> {
    return this._client.stepNotebook(id);
  }
  approveEntry(id: number, answer: PerQueue.Approve): Promise<void> {
    return this._client.approveEntry(id, answer);
  }
  rejectEntry(id: number, answer: PerQueue.Reject): Promise<void> {
    return this._client.rejectEntry(id, answer);
  }
  modifyEntry(id: number, change: PerQueue.ModifyRequest): Promise<void> {
    return this._client.modifyEntry(id, change);
  }
  cancelWorkflow(id: number): Promise<void> {
    return this._client.cancelWorkflow(id);
  }
  removeWorkflow(id: number): Promise<void> {
    return this._client.removeWorkflow(id);
  }
  request<T>(path: string, init?: RequestInit): Promise<T> {
    return this._client.json<T>(path, init);
  }
  async submit(spec: unknown): Promise<number> {
    const { workflowId } = await this._client.submit(spec);
    this._scheduleListRefresh();
    return workflowId;
  }

  /**
   * Applies one event exactly once. Public so a host can feed events from elsewhere (the
   * notebook widget); the stream calls it for every message.
   */
  applyEvent(event: PerQueue.BridgeEvent): boolean {
    if (!Number.isFinite(event.seq) || (this._resumeKnown && event.seq <= this._lastSeq)) {
      return false;
    }
    this._lastSeq = event.seq;
    this._resumeKnown = true;
    if (event.type === 'workflow' && event.state === 'removed') {
      this._forget(event.workflowId);
      this._eventReceived.emit(event);
      return true;
    }
    const state = this._graphs.get(event.workflowId);
    if (state) {
      if (state.buffer) {
        state.buffer.push(event);
      }
      if (!applyToGraph(state, event)) {
        // Something the event does not carry changed (new entries, edges, outputs, errors).
        this._scheduleGraphRefetch(event.workflowId, state);
      }
      this._markDirty(event.workflowId);
    }
    this._scheduleListRefresh();
    this._eventReceived.emit(event);
    return true;
  }

  private async _handshake(generation: number): Promise<void> {
    const versions = await this._client.version();
    if (generation !== this._generation) {
      return;
    }
    this._versions = versions;
    if (typeof versions.lastSeq === 'number' && !this._resumeKnown) {
      this._lastSeq = versions.lastSeq;
      this._resumeKnown = true;
    }
    const apiVersion = versions.bridge?.apiVersion ?? versions.apiVersion;
    const message =
      apiVersion === API_VERSION
        ? ''
        : `The bridge speaks API version ${apiVersion}, this JupyterLab extension version ${API_VERSION}: ` +
          'install matching versions of perqueue_lab.';
    this._storageMessage = storageMessage(versions.storage);
    this._setConnection('connecting', message || this._storageMessage);
  }

  /**
   * A full disk pauses the bridge without breaking the stream (reads go on, no events come):
   * its condition is asked for now and then and shown as the connection's message.
   */
  private _watchStorage(generation: number): void {
    this._later(async () => {
      if (this._disposed || generation !== this._generation) {
        return;
      }
      try {
        const versions = await this._client.version();
        if (generation === this._generation) {
          this._versions = { ...(this._versions ?? versions), storage: versions.storage };
          const message = storageMessage(versions.storage);
          const shown = this._connection.message;
          if (message !== this._storageMessage && (shown === this._storageMessage || shown === '')) {
            this._setConnection(this._connection.status, message);
          }
          this._storageMessage = message;
        }
      } catch {
        // An unreachable bridge is reported by the stream.
      }
      this._watchStorage(generation);
    }, this._storageCheckMs);
  }

  private _runStream(): void {
    if (this._transport === 'websocket' && this._socketFailures < SOCKET_FAILURES_BEFORE_POLL) {
      this._openSocket();
    } else {
      void this._pollLoop();
    }
  }

  private _openSocket(): void {
    let opened = false;
    let closed = false;
    const generation = this._generation;
    // Without a resume point the socket starts at the bridge's newest event, and the snapshot
    // is taken once it is open: events after the snapshot request then all arrive.
    const resume = this._resumeKnown ? this._lastSeq : null;
    const socket = this._client.openEventSocket(resume, {
      onOpen: () => {
        if (closed || generation !== this._generation) {
          return;
        }
        opened = true;
        this._socketFailures = 0;
        this._attempt = 0;
        this._setConnection('live', this._connection.status === 'connecting' ? this._connection.message : '');
        if (resume === null || !this._synced) {
          this._resync().catch(error => this._setConnection('reconnecting', describe(error)));
        }
      },
      onEvent: event => {
        if (!closed && generation === this._generation) {
          this.applyEvent(event);
        }
      },
      onClose: () => {
        if (closed) {
          return;
        }
        closed = true;
        this._closeSocket = null;
        if (this._disposed) {
          return;
        }
        if (!opened) {
          this._socketFailures++;
        }
        this._setConnection('reconnecting', 'The live connection to the bridge dropped; reconnecting.');
        this._later(() => this._runStream(), this._delay(this._attempt++));
      }
    });
    if (!socket) {
      this._socketFailures = SOCKET_FAILURES_BEFORE_POLL;
      void this._pollLoop();
      return;
    }
    this._closeSocket = () => {
      closed = true;
      socket.close();
    };
  }

  private async _pollLoop(): Promise<void> {
    const generation = this._generation;
    const current = () => !this._disposed && generation === this._generation;
    while (current()) {
      try {
        if (!this._resumeKnown) {
          const head = await this._findHead();
          if (!current()) {
            return;
          }
          this._lastSeq = head;
          this._resumeKnown = true;
        }
        if (!this._synced) {
          await this._resync();
        }
        const since = this._lastSeq;
        const batch = await this._client.pollEvents(since, this._pollTimeout);
        if (!current()) {
          return;
        }
        if (batch.last < since) {
          // The bridge's event log restarted: nothing to resume from, take a fresh snapshot.
          this._lastSeq = batch.last;
          await this._resync();
        }
        let applied = 0;
        for (const event of batch.events) {
          applied += this.applyEvent(event) ? 1 : 0;
        }
        this._attempt = 0;
        if (applied === 0 && batch.events.length > 0) {
          // Only repeats: do not spin on a server that keeps answering at once.
          await this._sleep(this._delay(0));
        }
        if (this._connection.status !== 'live') {
          this._setConnection('live', '');
        }
      } catch (error) {
        if (!current()) {
          return;
        }
        const unavailable = error instanceof PerQueueApiError && error.unavailable;
        this._setConnection(unavailable ? 'unavailable' : 'reconnecting', describe(error));
        await this._sleep(this._delay(this._attempt++));
      }
    }
  }

  /** The seq of the newest event, read page by page when the bridge does not tell it. */
  private async _findHead(): Promise<number> {
    let since = 0;
    for (;;) {
      const batch = await this._client.pollEvents(since, 0);
      if (!batch.events.length) {
        return Math.max(since, batch.last ?? 0);
      }
      since = batch.events[batch.events.length - 1].seq;
    }
  }

  private async _resync(): Promise<void> {
    const generation = this._generation;
    await this.refresh();
    await Promise.all([...this._graphs.entries()].map(([id, state]) => this._fetchGraph(id, state)));
    if (generation === this._generation) {
      this._synced = true;
    }
  }

  private _fetchGraph(id: number, state: IGraphState): Promise<PerQueue.WorkflowDetail> {
    if (state.loading) {
      return state.loading;
    }
    state.buffer = [];
    // The merge waits for a task of its own: parsing a large snapshot is a long task already.
    const loading = this._client
      .getWorkflow(id)
      .then(nextTask)
      .then(
        detail => {
          if (this._graphs.get(id) !== state) {
            return detail; // released meanwhile (closed, or another project is shown)
          }
          const buffered = state.buffer ?? [];
          state.buffer = null;
          state.loading = null;
          // Unchanged entries keep their objects: the views redraw only the entries that changed.
          const merged = mergeSnapshot(state.detail, detail);
          if (merged.nodes !== state.detail.nodes) {
            state.positions = new Map(merged.nodes.map((n, i) => [n.id, i]));
          }
          state.detail = merged;
          // Events that arrived while the snapshot was on its way may be newer than it.
          for (const event of buffered) {
            applyToGraph(state, event);
          }
          this._markDirty(id);
          return merged;
        },
        error => {
          state.buffer = null;
          state.loading = null;
          throw error;
        }
      );
    state.loading = loading;
    return loading;
  }

  /** A removed workflow leaves the list and the graph cache at once; its views are told. */
  private _forget(id: number): void {
    this.releaseWorkflow(id);
    const list = this._workflows.filter(w => w.id !== id);
    if (list.length !== this._workflows.length) {
      this._workflows = list;
      this._workflowsChanged.emit(list);
    }
    this._workflowRemoved.emit(id);
  }

  private _scheduleGraphRefetch(id: number, state: IGraphState): void {
    if (state.refetchTimer || this._disposed) {
      return;
    }
    state.refetchTimer = setTimeout(
      () => {
        state.refetchTimer = null;
        if (this._graphs.get(id) === state) {
          this._fetchGraph(id, state).catch(() => undefined);
        }
      },
      refetchDelay(this._graphSettleMs, state.detail.nodes.length)
    );
  }

  private _scheduleListRefresh(): void {
    if (this._listTimer || this._disposed) {
      return;
    }
    this._listTimer = this._later(() => {
      this._listTimer = null;
      this.refresh().catch(() => undefined);
    }, this._settleMs);
  }

  private _markDirty(id: number): void {
    this._dirty.add(id);
    if (this._dirtyTimer || this._disposed) {
      return;
    }
    this._dirtyTimer = this._later(
      () => {
        this._dirtyTimer = null;
        const ids = [...this._dirty];
        this._dirty.clear();
        for (const dirty of ids) {
          if (this._graphs.has(dirty)) {
            this._workflowChanged.emit(dirty);
          }
        }
      },
      Math.min(this._settleMs, 50)
    );
  }

  private _storageMessage = '';
  private readonly _storageCheckMs: number;

  private _setConnection(status: PerQueue.ConnectionStatus, message: string): void {
    if (status === this._connection.status && message === this._connection.message) {
      return;
    }
    this._connection = { status, message };
    this._connectionChanged.emit(this._connection);
  }

  private _delay(attempt: number): number {
    return this._retryDelays[Math.min(attempt, this._retryDelays.length - 1)];
  }

  private _later(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      this._timers.delete(timer);
      fn();
    }, ms);
    this._timers.add(timer);
    return timer;
  }

  private _sleep(ms: number): Promise<void> {
    return new Promise(resolve => this._later(resolve, ms));
  }

  private readonly _client: IPerQueueClient;
  private readonly _transport: 'websocket' | 'poll';
  private readonly _pollTimeout: number;
  private readonly _retryDelays: number[];
  private readonly _settleMs: number;
  private readonly _graphSettleMs: number;
  private _workflows: PerQueue.WorkflowSummary[] = [];
  private _graphs = new Map<number, IGraphState>();
  private _connection: PerQueue.ConnectionInfo = { status: 'connecting', message: '' };
  private _versions: PerQueue.Versions | null = null;
  private _lastSeq = 0;
  /** Whether _lastSeq is a real resume point (an event was seen or the bridge told the head). */
  private _resumeKnown = false;
  /** Whether a snapshot was taken since the stream started. */
  private _synced = false;
  private _started = false;
  private _disposed = false;
  private _attempt = 0;
  private _socketFailures = 0;
  private _closeSocket: (() => void) | null = null;
  private _listTimer: ReturnType<typeof setTimeout> | null = null;
  private _dirtyTimer: ReturnType<typeof setTimeout> | null = null;
  private _dirty = new Set<number>();
  private _timers = new Set<ReturnType<typeof setTimeout>>();
  /** Bumped when another project is shown: work begun for an earlier one stops. */
  private _generation = 0;
}

/**
 * Applies a node event to a cached graph. False when the graph needs a refetch: the entry is new,
 * or the event says only that something changed.
 */
function applyToGraph(state: IGraphState, event: PerQueue.BridgeEvent): boolean {
  if (event.type !== 'node') {
    return false;
  }
  if (event.node) {
    return upsertNode(state, event.node);
  }
  const at = event.nodeId === null || event.nodeId === undefined ? undefined : state.positions.get(event.nodeId);
  if (at === undefined) {
    return false;
  }
  // A new object only for a new state: views take a replaced object for a changed entry.
  if (event.state && event.state !== state.detail.nodes[at].state) {
    state.detail.nodes[at] = { ...state.detail.nodes[at], state: event.state as PerQueue.State };
  }
  // Outputs, errors, attempts and job ids come with the next snapshot.
  return false;
}

/** Replaces a node by id; false when the graph did not have it (it is then appended). */
function upsertNode(state: IGraphState, node: PerQueue.Node): boolean {
  const at = state.positions.get(node.id);
  if (at !== undefined) {
    state.detail.nodes[at] = { ...state.detail.nodes[at], ...node };
    return true;
  }
  state.positions.set(node.id, state.detail.nodes.length);
  state.detail.nodes.push(node);
  return false;
}

/** Resolves with `value` in a later task, so that what follows does not lengthen the current one. */
function nextTask<T>(value: T): Promise<T> {
  return new Promise(resolve => setTimeout(() => resolve(value), 0));
}

function describe(error: unknown): string {
  if (error instanceof PerQueueApiError) {
    return error.fix ? `${error.message} ${error.fix}` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** What the views say about the bridge's storage, or '' when it is fine. */
function storageMessage(storage: PerQueue.Versions['storage']): string {
  if (!storage || storage.ok) {
    return '';
  }
  return `${storage.fatal ? 'The bridge is stopping' : 'The bridge is paused'}: ${storage.message ?? storage.problem ?? 'its store cannot be written'}`;
}
