// `pql doctor`: check a project's database and, when it is damaged, copy what can still be read
// into a new file, row by row (a damaged page loses its rows, not the table), then put it in
// place, keeping the damaged file next to it. The report says what was kept and what was lost.
import { existsSync, readdirSync, renameSync, statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import type { ProjectPaths } from '../project.js';
import { Store } from './store.js';

export interface TableReport {
  table: string;
  copied: number;
  /** Rows read but not kept (unreadable JSON, an entry whose workflow record was lost). */
  dropped: number;
  /** Key ranges that could not be read (a damaged page): "after id A" up to the next readable row. */
  unreadable: string[];
}

export interface DoctorReport {
  path: string;
  sound: boolean;
  /** quick_check's first lines when it is not. */
  problems: string[];
  salvaged?: {
    into: string;
    damagedKept: string;
    tables: TableReport[];
    lostEntries: number[];
    lostWorkflows: number[];
  };
}

const TABLES: { name: string; key: string; json?: string[] }[] = [
  { name: 'meta', key: 'rowid' },
  { name: 'workflows', key: 'id', json: ['doc', 'width_overrides'] },
  { name: 'nodes', key: 'id', json: ['body'] },
  { name: 'edges', key: 'child' },
  { name: 'runs', key: 'rowid' },
  { name: 'events', key: 'seq' }
];

function quickCheck(db: DatabaseSync): string[] {
  try {
    return (db.prepare('PRAGMA quick_check').all() as { quick_check: string }[]).map(r => r.quick_check);
  } catch (e) {
    return [(e as Error).message];
  }
}

/** Checks the database; when damaged, salvages it into place (the bridge must be stopped). */
export function doctor(paths: ProjectPaths, now = new Date()): DoctorReport {
  const path = paths.db;
  if (!existsSync(path) || statSync(path).size === 0) {
    throw new Error(
      `${path} is ${existsSync(path) ? 'empty (0 bytes)' : 'missing'}: there is nothing in it to salvage. Restore it from a backup, ` +
        `or move the run folders aside (mv ${paths.runs} ${paths.runs}.old) to start a new database.`
    );
  }
  let src: DatabaseSync;
  try {
    src = new DatabaseSync(path, { readOnly: true });
  } catch (e) {
    throw new Error(`${path} cannot be opened at all (${(e as Error).message}): restore it from a backup`);
  }
  const problems = quickCheck(src);
  if (problems.length === 1 && problems[0] === 'ok') {
    src.close();
    return { path, sound: true, problems: [] };
  }
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const into = `${path}.salvaged-${stamp}`;
  const dest = new Store(into);
  const tables: TableReport[] = [];
  removedWorkflows.clear();
  const kept = { workflows: new Set<number>(), nodes: new Set<number>() };
  const mentioned = { workflows: new Set<number>(), nodes: new Set<number>() };
  dest.db.exec('PRAGMA foreign_keys=OFF');
  dest.transaction(() => {
    for (const t of TABLES) tables.push(copyTable(src, dest.db, t, kept, mentioned));
  });
  // Entries whose workflow record is lost cannot be loaded: they go, and are reported.
  const orphaned = dest.db
    .prepare('SELECT id FROM nodes WHERE workflow_id NOT IN (SELECT id FROM workflows)')
    .all() as { id: number }[];
  if (orphaned.length > 0) {
    dest.db.exec('DELETE FROM nodes WHERE workflow_id NOT IN (SELECT id FROM workflows)');
    const nodes = tables.find(t => t.table === 'nodes')!;
    nodes.copied -= orphaned.length;
    nodes.dropped += orphaned.length;
    for (const { id } of orphaned) kept.nodes.delete(id);
  }
  dest.db.exec('DELETE FROM edges WHERE child NOT IN (SELECT id FROM nodes)');
  // Ids are never reused: the next ones start above everything seen, in the file or in runs/.
  const maxOf = (sql: string) => (dest.db.prepare(sql).get() as { m: number | null }).m ?? 0;
  const nextWf = Math.max(
    Number(dest.meta('next_workflow_id') ?? 1),
    maxOf('SELECT max(id) AS m FROM workflows') + 1,
    maxRunFolderId(paths) + 1,
    maxOfSet(mentioned.workflows) + 1
  );
  const nextNode = Math.max(
    Number(dest.meta('next_node_id') ?? 1),
    maxOf('SELECT max(id) AS m FROM nodes') + 1,
    maxOfSet(mentioned.nodes) + 1
  );
  dest.recountStates();
  dest.transaction(() => {
    dest.setMeta('next_workflow_id', String(nextWf));
    dest.setMeta('next_node_id', String(nextNode));
  });
  dest.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  dest.close();
  src.close();
  const damagedKept = `${path}.damaged-${stamp}`;
  for (const suffix of ['', '-wal', '-shm'])
    if (existsSync(path + suffix)) renameSync(path + suffix, damagedKept + suffix);
  renameSync(into, path);
  for (const suffix of ['-wal', '-shm']) if (existsSync(into + suffix)) renameSync(into + suffix, path + suffix);
  const lostEntries = [...mentioned.nodes].filter(id => !kept.nodes.has(id)).sort((a, b) => a - b);
  const lostWorkflows = [...mentioned.workflows]
    .filter(id => !kept.workflows.has(id) && !removedWorkflows.has(id))
    .sort((a, b) => a - b);
  return {
    path,
    sound: false,
    problems: problems.slice(0, 5),
    salvaged: { into: path, damagedKept, tables, lostEntries, lostWorkflows }
  };
}

/** The highest workflow id among the run folders (runs/<workflow id>/). */
function maxRunFolderId(paths: ProjectPaths): number {
  try {
    return maxOfSet(
      new Set(
        readdirSync(paths.runs)
          .filter(n => /^\d+$/.test(n))
          .map(Number)
      )
    );
  } catch {
    return 0;
  }
}

/**
 * Copies a table in key order. A read that fails (a damaged page) is skipped over: the next
 * readable key is searched for by seeking further and further ahead, so the rows after the
 * damage are still found.
 */
function copyTable(
  src: DatabaseSync,
  dest: DatabaseSync,
  t: { name: string; key: string; json?: string[] },
  kept: { workflows: Set<number>; nodes: Set<number> },
  mentioned: { workflows: Set<number>; nodes: Set<number> }
): TableReport {
  const report: TableReport = { table: t.name, copied: 0, dropped: 0, unreadable: [] };
  let columns: string[];
  try {
    columns = (dest.prepare(`PRAGMA table_info(${t.name})`).all() as { name: string }[]).map(c => c.name);
    const srcColumns = new Set(
      (src.prepare(`PRAGMA table_info(${t.name})`).all() as { name: string }[]).map(c => c.name)
    );
    columns = columns.filter(c => srcColumns.has(c));
  } catch (e) {
    report.unreadable.push(`the whole table (${(e as Error).message})`);
    return report;
  }
  if (columns.length === 0) return report;
  const select = `SELECT ${t.key} AS _key, ${columns.join(', ')} FROM ${t.name} WHERE ${t.key} > ? ORDER BY ${t.key}`;
  const insert = dest.prepare(
    `INSERT OR REPLACE INTO ${t.name}(${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`
  );
  let after: number | string = t.name === 'meta' ? -1 : -1;
  for (;;) {
    let failedAfter: number | string | null = null;
    try {
      for (const row of src.prepare(select).iterate(after) as Iterable<Record<string, unknown>>) {
        after = row._key as number;
        note(t.name, row, mentioned);
        if (!readable(row, t.json)) {
          report.dropped++;
          continue;
        }
        insert.run(...(columns.map(c => row[c]) as never[]));
        report.copied++;
        if (t.name === 'workflows') kept.workflows.add(row.id as number);
        if (t.name === 'nodes') kept.nodes.add(row.id as number);
      }
    } catch {
      failedAfter = after;
    }
    if (failedAfter === null) return report;
    const next = nextReadableKey(src, t, Number(failedAfter));
    report.unreadable.push(
      next === null ? `${t.key} after ${failedAfter}` : `${t.key} after ${failedAfter} up to ${next}`
    );
    if (next === null) return report;
    after = next - 1;
  }
}

/** The first key above `after` that can be read, seeking ahead in growing steps; null if none. */
function nextReadableKey(src: DatabaseSync, t: { name: string; key: string }, after: number): number | null {
  const probe = src.prepare(`SELECT ${t.key} AS k FROM ${t.name} WHERE ${t.key} > ? ORDER BY ${t.key} LIMIT 1`);
  const whole = src.prepare(`SELECT * FROM ${t.name} WHERE ${t.key} = ?`);
  for (let step = 1; step <= 2 ** 40; step *= 2) {
    try {
      const row = probe.get(after + step) as { k: number } | undefined;
      if (!row) return null;
      whole.all(row.k); // the row itself must be readable, not just its key
      return row.k;
    } catch {
      /* still inside the damage: seek further */
    }
  }
  return null;
}

function readable(row: Record<string, unknown>, json: string[] | undefined): boolean {
  for (const c of json ?? []) {
    try {
      JSON.parse(String(row[c]));
    } catch {
      return false;
    }
  }
  return true;
}

const removedWorkflows = new Set<number>();

/** Ids of workflows and entries that other rows mention: a lost one shows up as mentioned but not kept. */
function note(
  table: string,
  row: Record<string, unknown>,
  mentioned: { workflows: Set<number>; nodes: Set<number> }
): void {
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  const add = (set: Set<number>, v: unknown) => {
    const n = num(v);
    if (n !== null) set.add(n);
  };
  if (table === 'workflows') add(mentioned.workflows, row.id);
  if (table === 'nodes') {
    add(mentioned.nodes, row.id);
    add(mentioned.workflows, row.workflow_id);
  }
  if (table === 'edges') {
    add(mentioned.nodes, row.child);
    add(mentioned.nodes, row.parent);
  }
  if (table === 'runs') add(mentioned.nodes, row.node_id);
  if (table === 'events') {
    // A removed workflow leaves one 'removed' event: it is gone on purpose, not lost.
    if (row.type === 'workflow' && row.state === 'removed') return void removedWorkflows.add(row.workflow_id as number);
    add(mentioned.workflows, row.workflow_id);
    add(mentioned.nodes, row.node_id);
  }
}

/** The largest id in a set, 0 for none; a loop, since `Math.max(...ids)` overflows the stack for a million. */
function maxOfSet(ids: Set<number>): number {
  let m = 0;
  for (const id of ids) if (id > m) m = id;
  return m;
}
