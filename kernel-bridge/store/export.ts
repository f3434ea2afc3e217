// A workflow archive: one self-contained SQLite file holding some workflows of a project, made
// while the bridge runs. `VACUUM INTO` writes a consistent snapshot of the live database (what
// is still in the WAL included) from the bridge's own connection, between two of its commits;
// the copy then loses the workflows not asked for and is vacuumed again, so nothing of them stays
// in free pages. The run folders' logs can go in a `logs` table, so the archive stays one file.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ActionError } from '../../core/errors.js';
import type { Store } from './store.js';

/** The meta key an archive carries: what it holds and when it was made. */
export const ARCHIVE_META_KEY = 'archive';
/** A log longer than this keeps its end only (the end is where a failure is explained). */
export const MAX_ARCHIVED_LOG_BYTES = 8 * 1024 * 1024;

export interface ExportOptions {
  workflows: number[];
  withLogs: boolean;
  /** A folder of the bridge's own for the temporary copy. */
  tmpDir: string;
}

export interface ExportResult {
  bytes: Buffer;
  workflows: { id: number; name: string; entries: number }[];
  logs: number;
}

export function exportWorkflows(store: Store, o: ExportOptions): ExportResult {
  const ids = [...new Set(o.workflows)];
  if (ids.length === 0) throw new ActionError('export needs at least one workflow');
  for (const id of ids) {
    if (!Number.isSafeInteger(id) || id <= 0) throw new ActionError(`export: '${id}' is not a workflow id`);
    if (!store.workflowSummary(id)) throw new ActionError(`export: no workflow ${id}`);
  }
  const tmp = join(o.tmpDir, `export-${randomBytes(6).toString('hex')}.sqlite`);
  try {
    store.db.prepare('VACUUM INTO ?').run(tmp);
    const copy = new DatabaseSync(tmp);
    let result: Omit<ExportResult, 'bytes'>;
    try {
      result = keepOnly(copy, ids, o.withLogs);
      // A rollback journal, not WAL: the archive is one file that opens anywhere, read-only too.
      copy.exec('PRAGMA journal_mode=DELETE');
      copy.exec('VACUUM');
    } finally {
      copy.close();
    }
    return { ...result, bytes: readFileSync(tmp) };
  } finally {
    for (const leftover of [tmp, `${tmp}-journal`, `${tmp}-wal`, `${tmp}-shm`]) rmSync(leftover, { force: true });
  }
}

function keepOnly(db: DatabaseSync, ids: number[], withLogs: boolean): Omit<ExportResult, 'bytes'> {
  const list = ids.join(',');
  db.exec('BEGIN');
  try {
    // Entries before their workflows: nodes.workflow_id references workflows(id).
    db.exec(`DELETE FROM nodes WHERE workflow_id NOT IN (${list})`);
    db.exec(`DELETE FROM workflows WHERE id NOT IN (${list})`);
    db.exec('DELETE FROM edges WHERE child NOT IN (SELECT id FROM nodes) OR parent NOT IN (SELECT id FROM nodes)');
    db.exec('DELETE FROM runs WHERE node_id NOT IN (SELECT id FROM nodes)');
    db.exec(`DELETE FROM events WHERE workflow_id NOT IN (${list})`);
    // The submitters' environment variables may hold secrets (tokens, passwords): an archive is
    // for reading and sharing, so it keeps none of them.
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='environments'").get()) {
      db.exec('UPDATE workflows SET env_id = NULL');
      db.exec('DELETE FROM environments');
    }
    let logs = 0;
    if (withLogs) logs = addLogs(db);
    const workflows = db
      .prepare(
        'SELECT w.id AS id, w.name AS name, (SELECT count(*) FROM nodes n WHERE n.workflow_id = w.id) AS entries FROM workflows w ORDER BY w.id'
      )
      .all() as { id: number; name: string; entries: number }[];
    db.prepare('INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)').run(
      ARCHIVE_META_KEY,
      JSON.stringify({ exportedAt: Date.now(), workflows: workflows.map(w => w.id), withLogs })
    );
    db.exec('COMMIT');
    return { workflows, logs };
  } catch (e) {
    db.exec('ROLLBACK');
    throw e;
  }
}

/** Every run's stdout and stderr (as far as they exist) into a `logs` table; returns how many. */
function addLogs(db: DatabaseSync): number {
  db.exec(`CREATE TABLE logs (
    node_id INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    stream TEXT NOT NULL,
    text TEXT NOT NULL,
    truncated INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (node_id, attempt, stream)
  ) WITHOUT ROWID`);
  const insert = db.prepare('INSERT INTO logs(node_id, attempt, stream, text, truncated) VALUES (?, ?, ?, ?, ?)');
  let count = 0;
  for (const run of db.prepare('SELECT node_id, attempt, run_dir FROM runs ORDER BY node_id, attempt').all() as {
    node_id: number;
    attempt: number;
    run_dir: string;
  }[]) {
    for (const stream of ['stdout', 'stderr']) {
      const file = join(run.run_dir, stream);
      if (!existsSync(file)) continue;
      const { text, truncated } = readEnd(file, MAX_ARCHIVED_LOG_BYTES);
      insert.run(run.node_id, run.attempt, stream, text, truncated ? 1 : 0);
      count++;
    }
  }
  return count;
}

function readEnd(file: string, limit: number): { text: string; truncated: boolean } {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - limit);
    const buf = Buffer.alloc(size - start);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, start + got);
      if (n <= 0) break;
      got += n;
    }
    let text = buf.subarray(0, got).toString('utf8');
    // Start at a whole line when the beginning was cut.
    if (start > 0) text = text.slice(text.indexOf('\n') + 1);
    return { text, truncated: start > 0 };
  } finally {
    closeSync(fd);
  }
}
