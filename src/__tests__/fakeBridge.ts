// An in-memory stand-in for the bridge behind the Jupyter server, for the jest tests: it keeps
// workflows, nodes and an event log, and serves them through the IPerQueueClient interface.
import type { IEventSocket, IEventSocketHandlers, IPerQueueClient } from '../client';
import { PerQueueApiError } from '../client';
import type { PerQueue } from '../tokens';

interface IOpenSocket {
  since: number | null;
  handlers: IEventSocketHandlers;
  closed: boolean;
  sent: number;
}

export class FakeBridge implements IPerQueueClient {
  events: PerQueue.BridgeEvent[] = [];
  workflows = new Map<number, PerQueue.WorkflowDetail>();
  sockets: IOpenSocket[] = [];
  /** Calls in order, e.g. 'socket:null', 'list', 'graph:1', 'poll:3'. */
  calls: string[] = [];
  /** When set, every request fails with this HTTP status. */
  downWith: number | null = null;
  /** Sockets open (onOpen) only while this is true. */
  socketsWork = true;
  /** Re-send the event at `since` on (re)connect, as an at-least-once server may. */
  resendLast = false;
  /** Holds getWorkflow answers until released, to interleave events with a snapshot. */
  holdSnapshots = false;
  private _held: (() => void)[] = [];

  project: string | null = null;
  /** What listProjects answers. */
  projectList: PerQueue.Project[] = [{ name: '', dir: '/root', default: true }];

  async listProjects(): Promise<PerQueue.Project[]> {
    this._check('projects');
    return this.projectList;
  }

  addWorkflow(id: number, nodes: PerQueue.Node[], edges: PerQueue.Edge[] = []): void {
    this.workflows.set(id, { workflow: { id, name: `wf${id}`, createdAt: id }, nodes, edges });
  }

  /** Changes a node's state and appends the matching event, sending it to open sockets. */
  setState(workflowId: number, nodeId: number, state: PerQueue.State): PerQueue.BridgeEvent {
    const detail = this.workflows.get(workflowId)!;
    const node = detail.nodes.find(n => n.id === nodeId)!;
    node.state = state;
    const event: PerQueue.BridgeEvent = {
      seq: this.head + 1,
      type: 'node',
      workflowId,
      nodeId,
      state
    };
    this.events.push(event);
    for (const socket of this.sockets) {
      if (!socket.closed) {
        this._send(socket, event);
      }
    }
    return event;
  }

  get head(): number {
    return this.events.length ? this.events[this.events.length - 1].seq : 0;
  }

  /** Drops every open socket, as a restarting server would. */
  dropSockets(): void {
    for (const socket of this.sockets) {
      if (!socket.closed) {
        socket.closed = true;
        socket.handlers.onClose();
      }
    }
  }

  releaseSnapshots(): void {
    const held = this._held;
    this._held = [];
    held.forEach(release => release());
  }

  // IPerQueueClient

  /** What GET /api/version says about the store (a full disk pauses the bridge). */
  storage: PerQueue.Versions['storage'] = { ok: true };

  async version(): Promise<PerQueue.Versions> {
    this._check('version');
    return { version: '0.0.0', apiVersion: 1, storage: this.storage };
  }

  async listWorkflows(): Promise<PerQueue.WorkflowSummary[]> {
    this._check('list');
    return [...this.workflows.values()].map(d => {
      const counts: Record<string, number> = {};
      for (const n of d.nodes) {
        counts[n.state] = (counts[n.state] ?? 0) + 1;
      }
      return { ...d.workflow, total: d.nodes.length, counts, state: 'running' };
    });
  }

  async getWorkflow(id: number): Promise<PerQueue.WorkflowDetail> {
    this._check(`graph:${id}`);
    const detail = this.workflows.get(id);
    if (!detail) {
      throw new PerQueueApiError(404, `no workflow ${id}`, `workflows/${id}`);
    }
    const copy = JSON.parse(JSON.stringify(detail)) as PerQueue.WorkflowDetail;
    if (this.holdSnapshots) {
      await new Promise<void>(resolve => this._held.push(resolve));
    }
    return copy;
  }

  async pollEvents(since: number, timeout: number): Promise<PerQueue.EventBatch> {
    this._check(`poll:${since}`);
    const from = this.resendLast ? since - 1 : since;
    this.resendLast = false; // once, like a reconnect
    let events = this.events.filter(e => e.seq > from);
    if (!events.length && timeout > 0) {
      await new Promise(resolve => setTimeout(resolve, 5));
      events = this.events.filter(e => e.seq > from);
    }
    return { events, last: events.length ? events[events.length - 1].seq : Math.max(since, 0) };
  }

  openEventSocket(since: number | null, handlers: IEventSocketHandlers): IEventSocket | null {
    this.calls.push(`socket:${since}`);
    const socket: IOpenSocket = { since, handlers, closed: false, sent: since ?? this.head };
    this.sockets.push(socket);
    setTimeout(() => {
      if (socket.closed) {
        return;
      }
      if (!this.socketsWork || this.downWith !== null) {
        socket.closed = true;
        handlers.onClose();
        return;
      }
      handlers.onOpen();
      const from = since === null ? socket.sent : this.resendLast ? since - 1 : since;
      for (const event of this.events.filter(e => e.seq > from)) {
        this._send(socket, event, true);
      }
    }, 0);
    return {
      close: () => {
        socket.closed = true;
      }
    };
  }

  async submit(): Promise<{ workflowId: number }> {
    throw new Error('not used');
  }
  async cancelWorkflow(): Promise<void> {}
  async json<T>(path: string): Promise<T> {
    throw new PerQueueApiError(404, `no route ${path} in the fake bridge`, path);
  }
  /** Deletes a workflow and sends the bridge's `removed` event. */
  async removeWorkflow(id: number): Promise<void> {
    this.calls.push(`remove:${id}`);
    this.workflows.delete(id);
    const event: PerQueue.BridgeEvent = {
      seq: this.head + 1,
      type: 'workflow',
      workflowId: id,
      nodeId: null,
      state: 'removed'
    };
    this.events.push(event);
    for (const socket of this.sockets) {
      if (!socket.closed) {
        this._send(socket, event);
      }
    }
  }
  async entry(id: number): Promise<PerQueue.EntryDetail> {
    for (const d of this.workflows.values()) {
      const node = d.nodes.find(n => n.id === id);
      if (node) {
        return { node, input: {}, runDir: null };
      }
    }
    throw new PerQueueApiError(404, `no entry ${id}`, `entries/${id}`);
  }
  async log(): Promise<string> {
    return '';
  }
  async retryEntry(): Promise<void> {}
  async cancelEntry(): Promise<void> {}
  async modifyEntry(): Promise<void> {}
  async approvals(): Promise<PerQueue.Approval[]> {
    return [];
  }
  async stepNotebook(id: number): Promise<string> {
    throw new PerQueueApiError(404, `no human step ${id}`, `entries/${id}/notebook`);
  }
  async approveEntry(): Promise<void> {}
  async rejectEntry(): Promise<void> {}

  private _send(socket: IOpenSocket, event: PerQueue.BridgeEvent, replay = false): void {
    if (!replay && event.seq <= socket.sent) {
      return;
    }
    socket.sent = Math.max(socket.sent, event.seq);
    socket.handlers.onEvent({ ...event });
  }

  private _check(call: string): void {
    this.calls.push(call);
    if (this.downWith !== null) {
      throw new PerQueueApiError(this.downWith, 'bridge down', call);
    }
  }
}

export function node(
  id: number,
  workflowId: number,
  state: PerQueue.State = 'waiting',
  extra: Partial<PerQueue.Node> = {}
): PerQueue.Node {
  return {
    id,
    workflowId,
    kind: 'task',
    name: `task${id}`,
    state,
    templateId: id,
    index: [],
    iteration: [],
    groupId: null,
    ...extra
  };
}

/** Waits until `condition` holds, checking between timer turns. */
export async function waitFor(condition: () => boolean, what: string, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise(resolve => setTimeout(resolve, 2));
  }
}
