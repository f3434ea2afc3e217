// Builds an archived PerQueue database as the bridge writes one: the store's schema
// (kernel-bridge/store/schema.ts), a workflow compiled and advanced by the real engine, rows
// written as Store.persist writes them, and the WAL flag of a project file in the header. Used
// by the jest test of the archive reader and by the Galata test of the archive viewer.
import { readFileSync } from 'fs';
import type initSqlJsType from 'sql.js';

import { Engine, type Changes } from '../../../core/engine';
import type { WorkflowDocument } from '../../../core/spec';
import { MIGRATIONS, SCHEMA_VERSION } from '../../../kernel-bridge/store/schema';

// The browser build, as the extension's worker runs it (the package's default build would pick
// Node's file system or the browser's fetch depending on the runner).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const initSqlJs = require('sql.js/dist/sql-wasm-browser.js') as typeof initSqlJsType;

type Db = InstanceType<Awaited<ReturnType<typeof initSqlJs>>['Database']>;

/** sql.js with its WebAssembly given as bytes: the same engine as in the browser, in any test runner. */
export function loadSqlJs(): ReturnType<typeof initSqlJs> {
  const wasm = readFileSync(require.resolve('sql.js/dist/sql-wasm-browser.wasm'));
  return initSqlJs({
    wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer
  });
}

function persist(db: Db, changes: Changes, at: number): void {
  for (const w of changes.workflows) {
    db.run(
      'INSERT OR REPLACE INTO workflows(id, name, doc, created_at, width_overrides, active) VALUES (?, ?, ?, ?, ?, 1)',
      [w.id, w.name, JSON.stringify(w.doc), w.createdAt, JSON.stringify(w.widthOverrides)]
    );
  }
  for (const n of changes.nodes) {
    db.run('INSERT OR REPLACE INTO nodes(id, workflow_id, kind, name, state, body) VALUES (?, ?, ?, ?, ?, ?)', [
      n.id,
      n.workflowId,
      n.kind,
      n.name,
      n.state,
      JSON.stringify(n)
    ]);
    db.run("INSERT INTO events(at, workflow_id, node_id, type, state) VALUES (?, ?, ?, 'node', ?)", [
      at,
      n.workflowId,
      n.id,
      n.state
    ]);
  }
  for (const e of changes.removedEdges) {
    db.run('DELETE FROM edges WHERE child=? AND parent=?', [e.child, e.parent]);
  }
  for (const e of changes.addedEdges) {
    db.run('INSERT OR REPLACE INTO edges(child, parent, join_id) VALUES (?, ?, ?)', [e.child, e.parent, e.join]);
  }
}

const task = (name: string, args: Record<string, number | string> = {}) => ({
  kind: 'task' as const,
  name,
  code: `/project/${name}`,
  args,
  resources: '1:local:10m'
});

/** "screening": prepare → 3 columns of (relax → score) → collect; the second workflow "<img…>" has one task. */
export const ARCHIVE_WORKFLOWS: WorkflowDocument[] = [
  {
    specVersion: 1,
    name: 'screening',
    root: {
      kind: 'workflow',
      nodes: [
        { id: 'prepare.py', node: task('prepare.py', { n: 3 }), parents: [] },
        {
          id: 'SWG',
          node: {
            kind: 'static_width',
            body: {
              kind: 'workflow',
              nodes: [
                { id: 'relax.py', node: task('relax.py'), parents: [] },
                { id: 'score.py', node: task('score.py'), parents: ['relax.py'] }
              ]
            },
            width: 3
          },
          parents: ['prepare.py']
        },
        { id: 'collect.py', node: task('collect.py'), parents: ['SWG'] }
      ]
    }
  },
  {
    specVersion: 1,
    name: '<img src=x onerror=alert(1)>',
    root: task('<b>bold</b>.py')
  }
];

/**
 * The bytes of the archive. In "screening", prepare and the first column succeeded, the second
 * column's relax failed (its score is blocked), the third runs.
 */
export async function buildArchive(): Promise<Uint8Array> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  db.run('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  for (const step of MIGRATIONS) {
    db.exec(step);
  }
  db.run("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", [String(SCHEMA_VERSION)]);
  let clock = 1_700_000_000_000;
  const engine = new Engine({ now: () => (clock += 1000) });
  const run = (id: number, outcome: Parameters<Engine['finish']>[1]) => {
    engine.markRunning(id, { executor: 'local', jobId: `pid-${id}`, host: 'archive-host' });
    engine.finish(id, outcome);
  };
  const byName = (wf: number, name: string, index?: number) =>
    engine.nodesOf(wf).find(n => n.name === name && (index === undefined || n.index[n.index.length - 1] === index))!.id;

  const wf = engine.submit(ARCHIVE_WORKFLOWS[0]);
  run(byName(wf, 'prepare.py'), { state: 'succeeded', data: { structures: 3 } });
  run(byName(wf, 'relax.py', 0), { state: 'succeeded', data: { energy: -1.5, note: '<script>alert(2)</script>' } });
  run(byName(wf, 'score.py', 0), { state: 'succeeded', data: { score: 0.9 } });
  run(byName(wf, 'relax.py', 1), { state: 'failed', error: "ValueError('did not converge')" });
  engine.markRunning(byName(wf, 'relax.py', 2), { executor: 'local', jobId: 'pid-9', host: 'archive-host' });
  engine.submit(ARCHIVE_WORKFLOWS[1]);
  persist(db, engine.takeChanges(), clock);
  db.run(
    "INSERT INTO runs(node_id, attempt, run_dir, job_name, executor, job_id, submitted_at) VALUES (?, 1, '/project/.perqueue/runs/1/2.1', 'prepare.py', 'local', 'pid-2', ?)",
    [byName(wf, 'prepare.py'), clock]
  );
  const bytes = db.export();
  db.close();
  // A project database is in WAL mode: bytes 18 and 19 of the header say so.
  bytes[18] = 2;
  bytes[19] = 2;
  return bytes;
}
