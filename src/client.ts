// The one place that talks to the Jupyter server's /perqueue/api proxy. Requests go through
// ServerConnection.makeRequest so the token, the XSRF header and JupyterHub prefixes are handled;
// a raw fetch would be refused on writes.
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type { PerQueue } from './tokens';

/** Path of the proxy below the server's base URL. */
const API_NAMESPACE = 'perqueue/api';

/**
 * A URL of the proxy for one project: `project` is its path below the server's root ('' for the
 * root); null means the server's own project and adds nothing.
 */
function withProject(url: string, project: string | null): string {
  if (project === null) {
    return url;
  }
  return `${url}${url.includes('?') ? '&' : '?'}project=${encodeURIComponent(project)}`;
}

/** A request that failed: HTTP status (0 when the server was not reached), message and fix. */
export class PerQueueApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly path: string,
    readonly fix: string = ''
  ) {
    super(message);
    this.name = 'PerQueueApiError';
  }

  /** The bridge or the server extension is missing or down, as opposed to a bad request. */
  get unavailable(): boolean {
    return this.status === 0 || this.status === 404 || this.status === 502 || this.status === 503;
  }
}

/** What the model needs from a transport; the jest tests replace it with a fake. */
export interface IPerQueueClient {
  /** The project every request goes to (null: the server's own). */
  project: string | null;
  /** The projects the server can show, its own first. */
  listProjects(): Promise<PerQueue.Project[]>;
  version(): Promise<PerQueue.Versions>;
  listWorkflows(): Promise<PerQueue.WorkflowSummary[]>;
  getWorkflow(id: number): Promise<PerQueue.WorkflowDetail>;
  submit(spec: unknown): Promise<{ workflowId: number }>;
  cancelWorkflow(id: number): Promise<void>;
  removeWorkflow(id: number): Promise<void>;
  /** Any other request to the project's bridge API (`path` below /api): its JSON answer. */
  json<T>(path: string, init?: RequestInit): Promise<T>;
  entry(id: number): Promise<PerQueue.EntryDetail>;
  /** The last `lines` lines of an entry's stdout or stderr. */
  log(id: number, stream: 'stdout' | 'stderr', lines?: number): Promise<string>;
  retryEntry(id: number): Promise<void>;
  cancelEntry(id: number): Promise<void>;
  modifyEntry(id: number, change: PerQueue.ModifyRequest): Promise<void>;
  approvals(): Promise<PerQueue.Approval[]>;
  /** The path (relative to the project) of the waiting step's notebook copy, made once per attempt. */
  stepNotebook(id: number): Promise<string>;
  approveEntry(id: number, answer: PerQueue.Approve): Promise<void>;
  rejectEntry(id: number, answer: PerQueue.Reject): Promise<void>;
  /** Long poll: resolves with the events after `since`, or none after `timeout` seconds. */
  pollEvents(since: number, timeout: number): Promise<PerQueue.EventBatch>;
  /**
   * Opens a socket that sends the events after `since` (after the newest one when null), one
   * per message; returns its closer, or null where sockets are not available.
   */
  openEventSocket(since: number | null, handlers: IEventSocketHandlers): IEventSocket | null;
}

export interface IEventSocketHandlers {
  onOpen(): void;
  onEvent(event: PerQueue.BridgeEvent): void;
  /** Called once, whether the socket failed to open or dropped later. */
  onClose(): void;
}

export interface IEventSocket {
  close(): void;
}

export class PerQueueClient implements IPerQueueClient {
  constructor(readonly serverSettings: ServerConnection.ISettings = ServerConnection.makeSettings()) {}

  project: string | null = null;

  async listProjects(): Promise<PerQueue.Project[]> {
    // GET <base>/perqueue/projects: a route of the server extension, not of a bridge.
    const response = await this.request('projects', {}, 'perqueue', null);
    return (await response.json()) as PerQueue.Project[];
  }

  version(): Promise<PerQueue.Versions> {
    return this.json('version');
  }

  listWorkflows(): Promise<PerQueue.WorkflowSummary[]> {
    return this.json('workflows');
  }

  getWorkflow(id: number): Promise<PerQueue.WorkflowDetail> {
    return this.json(`workflows/${id}`);
  }

  submit(spec: unknown): Promise<{ workflowId: number }> {
    return this.json('workflows', { method: 'POST', body: JSON.stringify({ spec }) });
  }

  async cancelWorkflow(id: number): Promise<void> {
    await this.json(`workflows/${id}/cancel`, { method: 'POST', body: '{}' });
  }

  async removeWorkflow(id: number): Promise<void> {
    await this.json(`workflows/${id}/remove`, { method: 'POST', body: '{}' });
  }

  entry(id: number): Promise<PerQueue.EntryDetail> {
    return this.json(`entries/${id}`);
  }

  /** The last `lines` lines of an entry's log (the bridge reads only the end of the file). */
  async log(id: number, stream: 'stdout' | 'stderr', lines = 200): Promise<string> {
    // The bridge takes a whole number of lines up to 100,000 and refuses anything else.
    const tail = Math.max(0, Math.min(100_000, Math.trunc(Number.isFinite(lines) ? lines : 200)));
    const response = await this.request(`entries/${id}/log?stream=${stream}&tail=${tail}`);
    const text = await response.text();
    if ((response.headers.get('Content-Type') ?? '').includes('json')) {
      // The bridge wraps the text: {"text": "..."}.
      try {
        const body = JSON.parse(text) as { text?: string } | string;
        return typeof body === 'string' ? body : (body.text ?? '');
      } catch {
        return text;
      }
    }
    return text;
  }

  async retryEntry(id: number): Promise<void> {
    await this.json(`entries/${id}/retry`, { method: 'POST', body: '{}' });
  }

  async cancelEntry(id: number): Promise<void> {
    await this.json(`entries/${id}/cancel`, { method: 'POST', body: '{}' });
  }

  async modifyEntry(id: number, change: PerQueue.ModifyRequest): Promise<void> {
    await this.json(`entries/${id}/modify`, { method: 'POST', body: JSON.stringify(change) });
  }

  async approvals(): Promise<PerQueue.Approval[]> {
    const list = await this.json<PerQueue.Approval[]>('approvals');
    return Array.isArray(list) ? list : [];
  }

  async stepNotebook(id: number): Promise<string> {
    const path = `entries/${id}/notebook`;
    const answer = await this.json<{ path?: unknown }>(path, { method: 'POST', body: '{}' });
    if (!answer || typeof answer.path !== 'string') {
      throw new PerQueueApiError(500, `the bridge gave no notebook path for entry ${id}`, path);
    }
    return answer.path;
  }

  async approveEntry(id: number, answer: PerQueue.Approve): Promise<void> {
    await this.json(`entries/${id}/approve`, { method: 'POST', body: JSON.stringify(answer) });
  }

  async rejectEntry(id: number, answer: PerQueue.Reject): Promise<void> {
    await this.json(`entries/${id}/reject`, { method: 'POST', body: JSON.stringify(answer) });
  }

  pollEvents(since: number, timeout: number): Promise<PerQueue.EventBatch> {
    return this.json(`events?since=${since}&timeout=${timeout}`);
  }

  openEventSocket(since: number | null, handlers: IEventSocketHandlers): IEventSocket | null {
    const settings = this.serverSettings;
    if (!settings.WebSocket) {
      return null;
    }
    const query: string[] = [];
    if (since !== null) {
      query.push(`since=${since}`);
    }
    if (settings.appendToken && settings.token) {
      query.push(`token=${encodeURIComponent(settings.token)}`);
    }
    const url = withProject(
      URLExt.join(settings.wsUrl, API_NAMESPACE, 'events', 'ws') + (query.length ? `?${query.join('&')}` : ''),
      this.project
    );
    const socket = new settings.WebSocket(url);
    let closed = false;
    const close = () => {
      if (!closed) {
        closed = true;
        handlers.onClose();
      }
    };
    socket.onopen = () => handlers.onOpen();
    socket.onmessage = (message: MessageEvent) => {
      let event: PerQueue.BridgeEvent;
      try {
        event = JSON.parse(String(message.data)) as PerQueue.BridgeEvent;
      } catch {
        return; // not an event (e.g. a keep-alive)
      }
      if (typeof event?.seq === 'number') {
        handlers.onEvent(event);
      }
    };
    socket.onerror = () => close();
    socket.onclose = () => close();
    return {
      close: () => {
        closed = true;
        socket.close();
      }
    };
  }

  /** A request to the shown project's bridge API (`path` below /api), its JSON answer. */
  async json<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await this.request(path, init);
    const text = await response.text();
    if (!text) {
      return undefined as T;
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new PerQueueApiError(response.status, `the answer to ${path} is not JSON: ${text.slice(0, 200)}`, path);
    }
  }

  private async request(
    path: string,
    init: RequestInit = {},
    namespace = API_NAMESPACE,
    project = this.project
  ): Promise<Response> {
    const settings = this.serverSettings;
    const url = withProject(URLExt.join(settings.baseUrl, namespace, path), project);
    if (init.body !== undefined) {
      init = { ...init, headers: { 'Content-Type': 'application/json', ...(init.headers ?? {}) } };
    }
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(url, init, settings);
    } catch (error) {
      throw new PerQueueApiError(0, `the Jupyter server could not be reached: ${String(error)}`, path);
    }
    if (!response.ok) {
      throw await errorFrom(response, path);
    }
    return response;
  }
}

async function errorFrom(response: Response, path: string): Promise<PerQueueApiError> {
  const text = await response.text().catch(() => '');
  let message = text || response.statusText;
  let fix = '';
  try {
    const body = JSON.parse(text) as { message?: string; error?: string; fix?: string };
    message = body.message ?? body.error ?? message;
    fix = body.fix ?? '';
  } catch {
    // A plain-text answer is its own message.
  }
  if (response.status === 404 && path === 'version') {
    message = 'The PerQueue Lab server extension is not enabled on this Jupyter server.';
    fix = 'Run `jupyter server extension enable perqueue_lab` and restart JupyterLab.';
  }
  return new PerQueueApiError(response.status, message, path, fix);
}
