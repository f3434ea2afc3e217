// What an archived PerQueue database holds, read with plain SQL: the workflow list with counts
// per state, one workflow's entries and edges, one entry with its last run folder. The shapes
// are those of the bridge API (GET /api/workflows, /api/workflows/{id}, /api/entries/{id}), so
// the graph panel draws an archive exactly as it draws a live project. Pure: it is given a
// function that runs a query, so it runs in the browser's worker (sql.js) and in jest alike.
import { SCHEMA_VERSION } from '../../kernel-bridge/store/schema.js';
import type { PerQueue } from '../tokens';

export type SqlValue = string | number | null | Uint8Array;

/** Runs one read-only query and returns its rows as objects. */
export type QueryFn = (sql: string, params?: SqlValue[]) => Record<string, SqlValue>[];

/**
 * Newest schema this reader knows: the store's own, so the two cannot drift apart; newer files
 * are refused. The viewer reads only what version 1 wrote (later versions added the submitters'
 * environments and the per-state counts, which it does not need).
 */
const KNOWN_SCHEMA_VERSION = SCHEMA_VERSION;

export class ArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveError';
  }
}

/** Refuses files that are not PerQueue databases, naming what is missing. */
export function checkArchive(query: QueryFn): number {
  const tables = new Set(query("SELECT name FROM sqlite_master WHERE type='table'").map(r => String(r.name)));
  const missing = ['workflows', 'nodes', 'edges'].filter(needed => !tables.has(needed));
  if (missing.length) {
    const has = [...tables].filter(t => !t.startsWith('sqlite_')).sort();
    const holds = has.length
      ? `its tables are ${has.slice(0, 8).join(', ')}${has.length > 8 ? ', …' : ''}`
      : 'it has no tables';
    throw new ArchiveError(
      `this SQLite database is not a workflow archive: it has no ${missing.map(t => `'${t}'`).join(', ')} table${missing.length > 1 ? 's' : ''} (${holds})`
    );
  }
  let version = 1;
  if (tables.has('meta')) {
    const row = query("SELECT value FROM meta WHERE key='schema_version'")[0];
    version = row ? Number(row.value) : 1;
  }
  if (version > KNOWN_SCHEMA_VERSION) {
    throw new ArchiveError(
      `this database has schema version ${version}, newer than this viewer reads (${KNOWN_SCHEMA_VERSION}): update PerQueue Lab`
    );
  }
  return version;
}

/** The overall state the bridge gives a workflow from its counts. */
function workflowState(counts: Record<string, number | undefined>): string {
  const n = (k: string) => counts[k] ?? 0;
  if (n('running') + n('queued') + n('waiting') > 0) {
    return 'running';
  }
  if (n('awaiting_input') > 0) {
    return 'awaiting_input';
  }
  if (n('failed') + n('timed_out') + n('blocked') > 0) {
    return 'failed';
  }
  if (n('cancelled') > 0) {
    return 'cancelled';
  }
  return 'succeeded';
}

export function listWorkflows(query: QueryFn): PerQueue.WorkflowSummary[] {
  const byId = new Map<number, PerQueue.WorkflowSummary>();
  for (const w of query('SELECT id, name, created_at FROM workflows ORDER BY id')) {
    const id = Number(w.id);
    byId.set(id, {
      id,
      name: String(w.name),
      createdAt: Number(w.created_at),
      total: 0,
      counts: {},
      state: 'succeeded'
    });
  }
  for (const c of query('SELECT workflow_id, state, count(*) AS n FROM nodes GROUP BY workflow_id, state')) {
    const summary = byId.get(Number(c.workflow_id));
    if (summary) {
      (summary.counts as Record<string, number>)[String(c.state)] = Number(c.n);
      summary.total += Number(c.n);
    }
  }
  for (const summary of byId.values()) {
    summary.state = workflowState(summary.counts as Record<string, number>);
  }
  return [...byId.values()];
}

function parseBody(row: Record<string, SqlValue>): PerQueue.Node {
  const body = JSON.parse(String(row.body)) as PerQueue.Node;
  // The columns are what queries filter on; they win over a body written by an older bridge.
  return {
    ...body,
    id: Number(row.id),
    workflowId: Number(row.workflow_id),
    state: String(row.state) as PerQueue.State
  };
}

export function readWorkflow(query: QueryFn, id: number): PerQueue.WorkflowDetail {
  const w = query('SELECT id, name, created_at FROM workflows WHERE id=?', [id])[0];
  if (!w) {
    throw new ArchiveError(`the archive holds no workflow #${id}`);
  }
  const nodes = query('SELECT id, workflow_id, state, body FROM nodes WHERE workflow_id=? ORDER BY id', [id]).map(
    parseBody
  );
  const edges = query(
    'SELECT e.child, e.parent, e.join_id FROM edges e JOIN nodes n ON n.id = e.child WHERE n.workflow_id=?',
    [id]
  ).map(r => ({
    child: Number(r.child),
    parent: Number(r.parent),
    join: r.join_id === null ? null : Number(r.join_id)
  }));
  return { workflow: { id: Number(w.id), name: String(w.name), createdAt: Number(w.created_at) }, nodes, edges };
}

export function readEntry(query: QueryFn, id: number): PerQueue.EntryDetail {
  const row = query('SELECT id, workflow_id, state, body FROM nodes WHERE id=?', [id])[0];
  if (!row) {
    throw new ArchiveError(`the archive holds no entry #${id}`);
  }
  const node = parseBody(row);
  let runDir: string | null = null;
  const tables = new Set(query("SELECT name FROM sqlite_master WHERE type='table'").map(r => String(r.name)));
  if (tables.has('runs')) {
    const run = query('SELECT run_dir FROM runs WHERE node_id=? ORDER BY attempt DESC LIMIT 1', [id])[0];
    runDir = run ? String(run.run_dir) : null;
  }
  return { node, input: null, runDir };
}

/** True when the archive carries the run folders' logs (`pql export --with-logs`). */
export function hasLogs(query: QueryFn): boolean {
  return query("SELECT name FROM sqlite_master WHERE type='table' AND name='logs'").length > 0;
}

/** The last `tail` lines of an entry's latest archived stdout or stderr ('' when it wrote none). */
export function readLog(query: QueryFn, id: number, stream: 'stdout' | 'stderr', tail: number): string {
  const row = query('SELECT text FROM logs WHERE node_id=? AND stream=? ORDER BY attempt DESC LIMIT 1', [
    id,
    stream
  ])[0];
  const text = row ? String(row.text) : '';
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  return text ? lines.slice(-Math.max(1, tail)).join('\n') + (text.endsWith('\n') ? '\n' : '') : '';
}

/**
 * A project database is written in WAL mode; a copy read on its own (without its -wal file)
 * holds everything checkpointed. sql.js cannot open WAL files in memory, so the header is set
 * back to the rollback journal (bytes 18 and 19), which changes nothing else.
 */
export function withoutWal(bytes: Uint8Array): Uint8Array {
  if (bytes.length > 20 && bytes[18] === 2 && bytes[19] === 2) {
    const copy = bytes.slice();
    copy[18] = 1;
    copy[19] = 1;
    return copy;
  }
  return bytes;
}

/** Checks the SQLite magic string, so another binary file gets a clear message. */
export function isSqlite(bytes: Uint8Array): boolean {
  const magic = 'SQLite format 3\u0000';
  if (bytes.length < 100) {
    return false;
  }
  for (let i = 0; i < magic.length; i++) {
    if (bytes[i] !== magic.charCodeAt(i)) {
      return false;
    }
  }
  return true;
}
