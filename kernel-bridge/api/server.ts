// The bridge's HTTP API (described in openapi.json): JSON over a Unix socket (mode 0600) for
// the CLI, and over loopback with a bearer token for the Jupyter server extension and kernels.
// It is a thin layer: every action goes to the manager, every read to the store.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { jsonNestingProblem, MAX_LOG_LINES, MAX_REQUEST_BYTES } from '../../core/limits.js';
import { parseStates, workflowState } from '../../core/states.js';
import type { JsonObject } from '../../core/spec.js';
import type { Manager } from '../manager/manager.js';
import { isUserError } from '../manager/manager.js';
import { prepareManualNotebook } from '../manager/notebooks.js';
import { OffsetPastEnd, readLogRange } from '../runner/logRange.js';
import { tailLines } from '../runner/results.js';
import { StorageFault } from '../store/faults.js';
import { exportWorkflows } from '../store/export.js';
import type { Store } from '../store/store.js';
import {
  BodyFields,
  choiceParam,
  HttpError,
  logLines,
  logOffset,
  optionalWholeNumberParam,
  secondsParam,
  wholeNumberParam
} from './requestFields.js';
import { EventStreams } from './websocket.js';

export const API_VERSION = 1;

export interface ApiOptions {
  manager: Manager;
  store: Store;
  version: string;
  /** Required on every request unless `trustedListener` (the TCP listener). */
  token: string;
  /**
   * True only for the server listening on the project's Unix socket (mode 0600 in a 0700 folder
   * of the owner's), whose every connection comes from the owner. Trust is decided by which
   * listener accepted the connection, never by the peer's address: a TCP peer that resets its
   * connection has no remote address either.
   */
  trustedListener: boolean;
  /** The loopback port, once listening: reported by /api/version so clients can check that the
   * daemon answering on the Unix socket is the one holding the port named in bridge.json. */
  port?: () => number | null;
  /** Ask the daemon to stop (POST /api/shutdown). */
  shutdown: () => void;
  /** The bridge log: internal errors go here, with the request id the client was given. */
  log?: (line: string) => void;
  /** Whether the store can be written now (a full disk pauses the bridge). */
  storage?: () => StorageStatus;
}

/** The store's condition, in GET /api/version: `ok: false` names a full disk or why the bridge stops. */
export type StorageStatus =
  { ok: true } | { ok: false; problem: string; message: string; since: number; fatal?: boolean };

type Handler = (
  req: IncomingMessage,
  params: string[],
  query: URLSearchParams,
  body: unknown
) => unknown | Promise<unknown>;

export function createApiServer(o: ApiOptions): Server {
  // o.manager, not a copy: after a pause for a full disk the daemon resumes with a new manager.
  const { store } = o;
  const storage = () => o.storage?.() ?? { ok: true as const };
  const routes: [string, RegExp, Handler][] = [];
  const route = (method: string, pattern: string, h: Handler) =>
    routes.push([method, new RegExp(`^${pattern.replace(/:id/g, '(\\d+)')}$`), h]);

  route('GET', '/api/version', () => ({
    version: o.version,
    apiVersion: API_VERSION,
    pid: process.pid,
    port: o.port?.() ?? null,
    root: o.manager.projectRoot,
    lastSeq: store.lastSeq(),
    storage: storage()
  }));
  route('GET', '/api/workflows', (_r, _p, q) => {
    // Without ?limit or ?after every workflow, as before pages existed; with either, one page.
    if (!q.has('limit') && !q.has('after')) return store.workflowSummaries().map(withWorkflowState);
    const limit = optionalWholeNumberParam(q, 'limit', 1, MAX_PAGE, DEFAULT_PAGE);
    const after = optionalWholeNumberParam(q, 'after', 0, Number.MAX_SAFE_INTEGER, 0);
    const page = store.pageOfWorkflowSummaries(after, limit);
    return { workflows: page.workflows.map(withWorkflowState), next: page.next };
  });
  route('POST', '/api/workflows', (_req, _p, _q, body) => {
    const b = new BodyFields(body);
    const python = b.string('python') ?? null;
    const virtualEnv = b.string('virtualEnv') ?? null;
    const environment = b.environment();
    const cwd = b.cwd();
    if (!b.has('spec')) throw new HttpError(400, "the body needs a 'spec' field");
    return o.manager.submit(b.any('spec'), { python, virtualEnv, environment, cwd });
  });
  route('GET', '/api/workflows/:id', (_r, [id]) => {
    const summary = store.workflowSummary(Number(id));
    if (!summary) throw new HttpError(404, `no workflow ${id}`);
    return { workflow: withWorkflowState(summary), nodes: store.nodesOf(Number(id)), edges: store.edgesOf(Number(id)) };
  });
  route('GET', '/api/workflows/:id/wait', (req, [id], q) =>
    settled(req, Number(id), secondsParam(q, 'timeout', 600, 30))
  );
  route('POST', '/api/workflows/:id/cancel', (_r, [id], _q, body) => {
    new BodyFields(body, `workflow ${id}`); // no fields, but a body that is not an object is refused
    return { cancelled: o.manager.cancelWorkflow(Number(id)) };
  });
  route('POST', '/api/workflows/:id/remove', (_r, [id], _q, body) => {
    const keepFiles = new BodyFields(body, `workflow ${id}`).boolean('keepFiles');
    return o.manager.removeWorkflow(Number(id), { keepFiles });
  });
  route('GET', '/api/entries', (_r, _p, q) => {
    const filter = {
      workflowId: q.has('workflow') ? wholeNumberParam(q, 'workflow', 0, Number.MAX_SAFE_INTEGER) : undefined,
      states: q.has('states') ? parseStates(q.get('states')!) : undefined
    };
    // Without ?limit or ?after the whole list, as before pages existed; with either, one page.
    if (!q.has('limit') && !q.has('after')) return store.listNodes(filter);
    const limit = optionalWholeNumberParam(q, 'limit', 1, MAX_PAGE, DEFAULT_PAGE);
    const after = q.has('after') ? wholeNumberParam(q, 'after', 0, Number.MAX_SAFE_INTEGER) : undefined;
    return store.pageOfNodes({ ...filter, after }, limit);
  });
  route('GET', '/api/entries/:id', (_r, [id]) => {
    const node = store.node(Number(id));
    if (!node) throw new HttpError(404, `no entry ${id}`);
    const live = o.manager.engine.node(node.id);
    const parentData = o.manager.parentDataOf(node.id);
    return {
      node,
      input: live && node.kind === 'task' ? o.manager.engine.inputFor(node.id) : null,
      // What the entry is (or was) called with, the same shape for every kind and state.
      kwargs: o.manager.receivedKwargsOf(node.id),
      runDir: node.kind === 'task' && node.attempt > 0 ? o.manager.runDirOf(node) : null,
      parents: live ? o.manager.engine.parentsOf(node.id) : [],
      parentData
    };
  });
  route('GET', '/api/entries/:id/log', (_r, [id], q) => {
    const stream = choiceParam(q, 'stream', ['stdout', 'stderr'] as const);
    const offset = logOffset(q.get('offset'));
    const lines = logLines(q.get('tail'), MAX_LOG_LINES);
    const node = store.node(Number(id));
    if (!node) throw new HttpError(404, `no entry ${id}`);
    const path = node.attempt > 0 ? join(o.manager.runDirOf(node), stream) : null;
    if (offset !== null) {
      // A following viewer: the bytes from `offset`, where to go on, and the attempt they belong
      // to (a retry starts a new log, so the viewer starts over when it changes).
      if (q.get('tail') !== null) throw new HttpError(400, `give either 'offset' or 'tail', not both`);
      try {
        const range = readLogRange(path, offset);
        return { ...range, attempt: node.attempt, state: node.state };
      } catch (e) {
        if (e instanceof OffsetPastEnd) throw new HttpError(400, `entry ${id}, ${stream}: ${e.message}`);
        throw e;
      }
    }
    return { text: path ? tailLines(path, lines) : '' };
  });
  route('POST', '/api/entries/:id/retry', (_r, [id], _q, body) => {
    o.manager.retry(Number(id), { environment: new BodyFields(body, `entry ${id}`).environment() });
    return { ok: true };
  });
  route('POST', '/api/entries/:id/cancel', (_r, [id], _q, body) => {
    new BodyFields(body, `entry ${id}`); // no fields, but a body that is not an object is refused
    return { cancelled: o.manager.cancel(Number(id)) };
  });
  // PerQueue's PersistentQueue.complete / discard / fail: an entry's result set by hand.
  const byHand =
    (state: 'succeeded' | 'discarded' | 'failed') =>
    (_r: unknown, [id]: string[], _q: unknown, body: unknown) => {
      const b = new BodyFields(body, `entry ${id}`);
      const data = b.object('data') as JsonObject | undefined;
      const error = b.string('error');
      o.manager.settleByHand(Number(id), state, { data, error });
      return { ok: true };
    };
  route('POST', '/api/entries/:id/complete', byHand('succeeded'));
  route('POST', '/api/entries/:id/discard', byHand('discarded'));
  route('POST', '/api/entries/:id/fail', byHand('failed'));
  route('POST', '/api/entries/:id/modify', (_r, [id], _q, body) => {
    const b = new BodyFields(body, `entry ${id}`);
    o.manager.modify(Number(id), {
      args: b.object('args', false) as JsonObject | undefined,
      resources: b.string('resources'),
      code: b.string('code'),
      retries: b.number('retries'),
      maxTries: b.number('maxTries'),
      width: b.number('width')
    });
    return { ok: true };
  });
  route('POST', '/api/entries/:id/approve', (_r, [id], _q, body) => {
    const b = new BodyFields(body, `entry ${id}`);
    const data = b.object('data', false) as JsonObject | undefined;
    o.manager.approve(Number(id), data, b.string('by') ?? 'unknown');
    return { ok: true };
  });
  route('POST', '/api/entries/:id/reject', (_r, [id], _q, body) => {
    const b = new BodyFields(body, `entry ${id}`);
    const by = b.string('by') ?? 'unknown';
    o.manager.reject(Number(id), by, b.string('reason') ?? '');
    return { ok: true };
  });
  route('POST', '/api/entries/:id/notebook', (_r, [id]) => {
    const n = o.manager.engine.node(Number(id));
    if (!n || n.kind !== 'manual') throw new HttpError(400, `entry ${id} is not a manual step of an active workflow`);
    const spec = o.manager.engine.manualSpec(n.id);
    if (!spec.notebook) throw new HttpError(400, `entry ${id} ('${n.name}') has no notebook: it asks for a form`);
    if (n.state !== 'awaiting_input')
      throw new HttpError(400, `entry ${id} ('${n.name}') is ${n.state}, not awaiting input`);
    const path = prepareManualNotebook(o.manager.projectRoot, spec.notebook, o.manager.engine.inputFor(n.id).kwargs, n);
    return { path };
  });
  route('GET', '/api/approvals', () =>
    o.manager.engine.awaitingInput().map(n => ({ node: n, spec: o.manager.engine.specOf(n) }))
  );
  route('GET', '/api/events', async (req, _p, q) => {
    const since = optionalWholeNumberParam(q, 'since', 0, Number.MAX_SAFE_INTEGER, 0);
    const timeout = secondsParam(q, 'timeout', 60, 0) * 1000;
    // A caller that only needs to know that something changed asks for one event; more than
    // MAX_EVENTS is cut to MAX_EVENTS, as documented.
    const limit = Math.min(MAX_EVENTS, optionalWholeNumberParam(q, 'limit', 1, Number.MAX_SAFE_INTEGER, MAX_EVENTS));
    let events = store.eventsSince(since, limit);
    if (events.length === 0 && timeout > 0) {
      await new Promise<void>(resolve => {
        const t = setTimeout(done, timeout);
        const off = o.manager.onCommit(done);
        req.on('close', done);
        function done() {
          clearTimeout(t);
          off();
          resolve();
        }
      });
      events = store.eventsSince(since, limit);
    }
    return { events, last: events.length ? events[events.length - 1].seq : since };
  });
  route('POST', '/api/export', (_r, _p, _q, body) => {
    const b = new BodyFields(body, 'export');
    const workflows = b.idList('workflows', 'workflow ids');
    const withLogs = b.boolean('withLogs') ?? false;
    if (!workflows) throw new HttpError(400, "export: 'workflows' must be a list of workflow ids");
    const r = exportWorkflows(store, {
      workflows,
      withLogs,
      tmpDir: dirname(store.path)
    });
    // Base64 in JSON: the same client and proxy path as every other answer.
    return { workflows: r.workflows, logs: r.logs, size: r.bytes.length, content: r.bytes.toString('base64') };
  });
  route('POST', '/api/shutdown', (_r, _p, _q, body) => {
    new BodyFields(body); // no fields, but a body that is not an object is refused
    setTimeout(o.shutdown, 10);
    return { ok: true };
  });

  /**
   * The workflow's summary once nothing in it moves without a person (its state is no longer
   * 'running'), or after `timeout` seconds (at most 600) with `settled: false`. It is checked
   * after commits, at most once per event-loop turn and, for a workflow whose summary is slow to
   * count, no more than a tenth of the time, so a waiter never slows the workflow it waits for.
   */
  async function settled(req: IncomingMessage, wf: number, timeout: number) {
    const summary = () => {
      const s = store.workflowSummary(wf);
      if (!s) throw new HttpError(404, `no workflow ${wf}`);
      return withWorkflowState(s);
    };
    let s = summary();
    const limitMs = timeout * 1000;
    if (s.state === 'running' && limitMs > 0) {
      await new Promise<void>(resolve => {
        let scheduled = false;
        let cost = 0;
        let checkedAt = performance.now();
        const check = () => {
          scheduled = false;
          const t0 = performance.now();
          s = summary();
          checkedAt = performance.now();
          cost = checkedAt - t0;
          if (s.state !== 'running') done();
        };
        const off = o.manager.onCommit(() => {
          if (scheduled) return;
          scheduled = true;
          const gap = checkedAt + 10 * cost - performance.now();
          if (gap > 1) setTimeout(check, gap);
          else setImmediate(check);
        });
        const timer = setTimeout(done, limitMs);
        req.on('close', done);
        function done() {
          clearTimeout(timer);
          off();
          resolve();
        }
      });
    }
    return { ...s, settled: s.state !== 'running' };
  }

  const server = createServer(async (req, res) => {
    try {
      if (!authorized(o, req)) throw new HttpError(401, 'missing or wrong bridge token');
      const url = new URL(req.url ?? '/', 'http://bridge');
      for (const [method, re, h] of routes) {
        const m = re.exec(url.pathname);
        if (!m || method !== req.method) continue;
        const now = storage();
        // Reads go on while the store cannot be written; changes are refused with the reason.
        if (!now.ok && method === 'POST' && url.pathname !== '/api/shutdown') throw new HttpError(503, now.message);
        const body = req.method === 'POST' ? await readBody(req) : undefined;
        return send(res, 200, await h(req, m.slice(1), url.searchParams, body));
      }
      throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
    } catch (e) {
      if (e instanceof HttpError) return send(res, e.status, { error: e.message });
      if (e instanceof StorageFault) return send(res, 503, { error: e.message });
      if (isUserError(e) || e instanceof SyntaxError) return send(res, 400, { error: (e as Error).message });
      if (e instanceof Error && /unknown state/.test(e.message)) return send(res, 400, { error: e.message });
      // The details stay in the bridge log; the client gets an id to find them by.
      const requestId = randomBytes(6).toString('hex');
      o.log?.(
        `internal error in request ${requestId} (${req.method} ${(req.url ?? '').split('?')[0]}): ${(e as Error)?.stack ?? e}`
      );
      if (res.headersSent) return void res.destroy();
      return send(res, 500, { error: `internal error (request ${requestId}; details in the bridge log)`, requestId });
    }
  });

  const streams = new EventStreams({ store, onCommit: fn => o.manager.onCommit(fn), log: o.log });
  server.on('upgrade', (req, socket, head) => {
    // A client that resets the connection must not take the daemon down with an unhandled error.
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://bridge');
    if (url.pathname !== '/api/events/ws' || !authorized(o, req, url.searchParams.get('token'))) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return;
    }
    let since: number | null;
    try {
      since = url.searchParams.has('since')
        ? wholeNumberParam(url.searchParams, 'since', 0, Number.MAX_SAFE_INTEGER)
        : null;
    } catch (e) {
      const text = JSON.stringify({ error: (e as Error).message });
      socket.end(
        `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=utf-8\r\n` +
          `content-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`
      );
      return;
    }
    streams.accept(req, socket, head, since, url.searchParams.get('batch') === '1');
  });
  server.on('close', () => streams.close());
  return server;
}

function withWorkflowState<T extends { counts: Record<string, number | undefined> }>(s: T) {
  return { ...s, state: workflowState(s.counts) };
}

function authorized(o: ApiOptions, req: IncomingMessage, queryToken?: string | null): boolean {
  if (o.trustedListener) return true;
  const token = o.token;
  if (!token) return false;
  const header = req.headers.authorization ?? '';
  const given = header.startsWith('Bearer ') ? header.slice(7) : (queryToken ?? '');
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Entries or workflows per page of a list: the default, and the most one request may ask for. */
const DEFAULT_PAGE = 1000;
const MAX_PAGE = 10_000;
/** Events per answer of GET /api/events: the default, and the most it carries. */
const MAX_EVENTS = 5000;

async function readBody(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_REQUEST_BYTES)
    throw new HttpError(413, `the request body is over the limit of ${MAX_REQUEST_BYTES / 1048576} MiB`);
  const chunks: Buffer[] = [];
  const tooLarge = await new Promise<boolean>((resolve, reject) => {
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      // Over the limit: keep draining (the answer can still be read) but hold nothing more.
      if (size <= MAX_REQUEST_BYTES) chunks.push(c);
      else chunks.length = 0;
    });
    req.on('end', () => resolve(size > MAX_REQUEST_BYTES));
    req.on('error', reject);
  });
  if (tooLarge) throw new HttpError(413, `the request body is over the limit of ${MAX_REQUEST_BYTES / 1048576} MiB`);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  // Refused before parsing: every later walk of the value (validation, storing) is recursive.
  const deep = jsonNestingProblem(text);
  if (deep) throw new HttpError(400, `the request body is refused: ${deep}`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `the request body is not JSON: ${(e as Error).message}`);
  }
}

function send(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value ?? null);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text)
  });
  res.end(text);
}
