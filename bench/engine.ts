// Engine and store performance, each figure beside a baseline measured in the same run:
//   (a) compile + store a 100,000-entry StaticWidthGroup      vs raw node:sqlite inserts of the same rows
//   (b) committed transitions per second (no-op executor)     vs one raw UPDATE per transaction
//   (c) status of a 100,000-entry workflow                    vs reading every entry and counting
//   (d) a store of 1,000,000 entries: status, failures, RSS   (in a fresh process, as a restarted bridge)
//   (e) one StaticWidthGroup of the widest width (1,000,000): compile + store, run to the end
//       with the no-op executor, its status, and the first line of `pql ls` on it
// Usage: node build/bench/engine.js [--smoke] [--runs N] [--out rows.json] [--width N] [--only-widest]
//   --width sets the size of (e) (default the widest group allowed); --only-widest runs (e) alone.
// A benchmark, not a test: it prints numbers and never fails on one.
import { fork, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { Engine, type Changes } from '../core/engine.js';
import { MAX_GROUP_WIDTH } from '../core/limits.js';
import type { WorkflowDocument } from '../core/spec.js';
import { MIGRATIONS } from '../kernel-bridge/store/schema.js';
import { Store } from '../kernel-bridge/store/store.js';
import { mb, parseArgs, printRows, spread, timeMs, writeRows, type Row } from './stats.js';

const CODE = '/bin/true';

function swg(name: string, width: number, withJoin = false): WorkflowDocument {
  const group = {
    kind: 'static_width' as const,
    name: 'SWG',
    width,
    body: { kind: 'task' as const, name: 'noop', code: CODE, args: {}, resources: '1:local:1m' }
  };
  if (!withJoin) return { specVersion: 1, name, root: group };
  return {
    specVersion: 1,
    name,
    root: {
      kind: 'workflow',
      nodes: [
        { id: 'swg', node: group, parents: [] },
        {
          id: 'join',
          node: { kind: 'task', name: 'join', code: CODE, args: {}, resources: '1:local:1m' },
          parents: ['swg']
        }
      ]
    }
  };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'pq-bench-engine-'));
}

/** A bare database with our schema, WAL + synchronous=NORMAL like the store: the floor. */
function rawDb(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;');
  db.exec(MIGRATIONS[0]);
  return db;
}

// ------------------------------------------------------------------ (a) compile + store

function benchSubmit(width: number, runs: number): { ours: number[]; raw: number[]; dbBytes: number } {
  const ours: number[] = [];
  const raw: number[] = [];
  let dbBytes = 0;
  for (let r = 0; r < runs; r++) {
    const dir = tempDir();
    try {
      // Ours: the real engine and store on a real file.
      const store = new Store(join(dir, 'ours.sqlite'));
      const engine = new Engine();
      const doc = swg('fanout', width);
      ours.push(
        timeMs(() => {
          engine.submit(doc);
          store.persist(engine.takeChanges());
        })
      );
      store.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      dbBytes = statSync(join(dir, 'ours.sqlite')).size;
      store.close();
      // Baseline: the same node rows (serialized beforehand), inserted raw in one transaction.
      const e2 = new Engine();
      e2.submit(swg('fanout', width));
      const ch: Changes = e2.takeChanges();
      const rows = ch.nodes.map(n => [n.id, n.workflowId, n.kind, n.name, n.state, JSON.stringify(n)] as const);
      const db = rawDb(join(dir, 'raw.sqlite'));
      db.prepare(`INSERT INTO workflows(id, name, doc, created_at) VALUES (1, 'fanout', '{}', 0)`).run();
      const ins = db.prepare('INSERT INTO nodes(id, workflow_id, kind, name, state, body) VALUES (?, ?, ?, ?, ?, ?)');
      raw.push(
        timeMs(() => {
          db.exec('BEGIN');
          for (const r of rows) ins.run(...r);
          db.exec('COMMIT');
        })
      );
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { ours, raw, dbBytes };
}

// ------------------------------------------------------------------ (b) transitions

function benchTransitions(entries: number, runs: number): { ours: number[]; raw: number[] } {
  const ours: number[] = [];
  const raw: number[] = [];
  for (let r = 0; r < runs; r++) {
    const dir = tempDir();
    try {
      const store = new Store(join(dir, 'ours.sqlite'));
      const engine = new Engine();
      const wf = engine.submit(swg('transitions', entries, true));
      store.persist(engine.takeChanges());
      const queued = engine
        .nodesOf(wf)
        .filter(n => n.state === 'queued')
        .map(n => n.id);
      let transitions = 0;
      const ms = timeMs(() => {
        for (const id of queued) {
          // Like the manager: every engine step is committed before anything acts on it.
          engine.markRunning(id, { executor: 'local', jobId: '1', host: 'bench' });
          store.persist(engine.takeChanges());
          engine.finish(id, { state: 'succeeded', data: {} });
          store.persist(engine.takeChanges());
          transitions += 2;
        }
      });
      ours.push(transitions / (ms / 1000));
      store.close();

      // Baseline: the floor of a committed state change, one UPDATE per transaction.
      const db = rawDb(join(dir, 'raw.sqlite'));
      db.prepare(`INSERT INTO workflows(id, name, doc, created_at) VALUES (1, 'raw', '{}', 0)`).run();
      const ins = db.prepare(
        `INSERT INTO nodes(id, workflow_id, kind, name, state, body) VALUES (?, 1, 'task', 'noop', 'queued', '{}')`
      );
      db.exec('BEGIN');
      for (let i = 1; i <= entries; i++) ins.run(i);
      db.exec('COMMIT');
      const upd = db.prepare('UPDATE nodes SET state=? WHERE id=?');
      let n = 0;
      const rawMs = timeMs(() => {
        for (let i = 1; i <= entries; i++) {
          for (const s of ['running', 'succeeded']) {
            db.exec('BEGIN IMMEDIATE');
            upd.run(s, i);
            db.exec('COMMIT');
            n++;
          }
        }
      });
      raw.push(n / (rawMs / 1000));
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { ours, raw };
}

// ------------------------------------------------------------------ (c) status

function benchStatus(width: number, runs: number): { ours: number[]; naive: number[] } {
  const dir = tempDir();
  try {
    const store = new Store(join(dir, 'ours.sqlite'));
    const engine = new Engine();
    const wf = engine.submit(swg('status', width));
    store.persist(engine.takeChanges());
    const ours: number[] = [];
    const naive: number[] = [];
    store.workflowSummary(wf); // warm the statement cache and the page cache alike for both
    for (let r = 0; r < runs; r++) {
      ours.push(timeMs(() => void store.workflowSummary(wf)));
      naive.push(
        timeMs(() => {
          const counts: Record<string, number> = {};
          for (const n of store.nodesOf(wf)) counts[n.state] = (counts[n.state] ?? 0) + 1;
        })
      );
    }
    store.close();
    return { ours, naive };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ (d) a 1,000,000-entry store

interface ProbeResult {
  rssStartMb: number;
  rssAfterQueriesMb: number;
  summaryMs: number[];
  summaryNaiveMs: number[];
  failuresMs: number[];
  failuresNoIndexMs: number[];
  failures: number;
  allSummariesMs: number[];
  loadAllMs: number;
  loadedEntries: number;
  rssLoadedMb: number;
}

/** Build the big store with a fresh engine per workflow (memory stays low while building). */
function buildBigStore(path: string, workflows: number, width: number, failures: number): void {
  const store = new Store(path);
  let nextNode = 1;
  for (let w = 1; w <= workflows; w++) {
    const engine = new Engine({ firstNodeId: nextNode, firstWorkflowId: w });
    const wf = engine.submit(swg(`big-${w}`, width));
    store.persist(engine.takeChanges());
    if (w === 1) {
      // Some failed entries to list, some succeeded ones; one transaction.
      const ids = engine.nodesOf(wf).map(n => n.id);
      for (let i = 0; i < Math.min(failures * 3, ids.length); i++) {
        engine.markRunning(ids[i]);
        engine.finish(
          ids[i],
          i % 3 === 0 ? { state: 'failed', error: `RuntimeError('entry ${i}')` } : { state: 'succeeded', data: { i } }
        );
      }
      store.persist(engine.takeChanges());
    }
    nextNode = engine.takeChanges().nextNodeId;
  }
  store.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  store.close();
}

/** Runs in a fresh process: what a restarted bridge or a CLI reader pays on the big store. */
function probe(path: string, wf: number, runs: number): ProbeResult {
  const rssStartMb = mb(process.memoryUsage().rss);
  const store = new Store(path);
  const summaryMs: number[] = [];
  const summaryNaiveMs: number[] = [];
  const failuresMs: number[] = [];
  const failuresNoIndexMs: number[] = [];
  const allSummariesMs: number[] = [];
  let failures = 0;
  const noIndex = store.db.prepare(`SELECT body FROM nodes NOT INDEXED WHERE state='failed' ORDER BY id`);
  // Our queries first, so that the RSS below is theirs alone (the baselines allocate a lot).
  for (let r = 0; r < runs; r++) {
    summaryMs.push(timeMs(() => void store.workflowSummary(wf)));
    failuresMs.push(timeMs(() => void (failures = store.listNodes({ states: ['failed'] }).length)));
    allSummariesMs.push(timeMs(() => void store.workflowSummaries()));
  }
  const rssAfterQueriesMb = mb(process.memoryUsage().rss);
  for (let r = 0; r < runs; r++) {
    failuresNoIndexMs.push(timeMs(() => void noIndex.all().map(x => JSON.parse((x as { body: string }).body))));
    summaryNaiveMs.push(
      timeMs(() => {
        const counts: Record<string, number> = {};
        for (const n of store.nodesOf(wf)) counts[n.state] = (counts[n.state] ?? 0) + 1;
      })
    );
  }
  // A restarted bridge with every workflow active loads them all (Manager.start()).
  const engine = new Engine();
  let loadedEntries = 0;
  const loadAllMs = timeMs(() => {
    for (const record of store.activeWorkflows()) {
      const nodes = store.nodesOf(record.id);
      loadedEntries += nodes.length;
      engine.load(record, nodes, store.edgesOf(record.id));
    }
  });
  const rssLoadedMb = mb(process.memoryUsage().rss);
  store.close();
  return {
    rssStartMb,
    rssAfterQueriesMb,
    summaryMs,
    summaryNaiveMs,
    failuresMs,
    failuresNoIndexMs,
    failures,
    allSummariesMs,
    loadAllMs,
    loadedEntries,
    rssLoadedMb
  };
}

function runProbe(path: string, wf: number, runs: number): Promise<ProbeResult> {
  return new Promise((ok, fail) => {
    const child = fork(fileURLToPath(import.meta.url), ['--probe', path, String(wf), String(runs)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    });
    child.on('message', m => ok(m as ProbeResult));
    child.on('exit', code => {
      if (code !== 0) fail(new Error(`probe exited with ${code}`));
    });
  });
}

// ------------------------------------------------------------------ (e) the widest group

interface WidestResult {
  storeMs: number;
  rawStoreMs: number;
  runMs: number;
  rawRunMs: number;
  statusMs: number[];
  statusScanMs: number[];
  lsFirstLineMs: number[];
  lsReadAllMs: number[];
  /** `pql version`: the floor of any pql command's first line (starting Node and the CLI). */
  pqlStartMs: number[];
  rssMb: number;
}

/** Entries settled per committed step while running to the end: a batch of endings, as the manager takes them in. */
const RUN_BATCH = 1000;

/** `pql ls` as a user runs it: milliseconds from the start of the process to its first line. */
function firstLineMs(projectDir: string, argv = ['ls']): Promise<number> {
  const pql = fileURLToPath(new URL('../../perqueue_lab/bridge/pql.mjs', import.meta.url));
  return new Promise((ok, fail) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [pql, ...argv], {
      cwd: projectDir,
      env: { ...process.env, PQ_PROJECT: projectDir, PQ_NO_AUTOSTART: '1' },
      stdio: ['ignore', 'pipe', 'inherit']
    });
    let done = false;
    child.stdout.on('data', (c: Buffer) => {
      if (done || !c.includes(10)) return;
      done = true;
      ok(Number(process.hrtime.bigint() - t0) / 1e6);
      child.stdout.destroy();
    });
    child.on('error', fail);
    child.on('close', () => done || fail(new Error('pql ls printed no line')));
  });
}

async function benchWidest(width: number, runs: number): Promise<WidestResult> {
  const dir = tempDir();
  try {
    const stateDir = join(dir, '.perqueue');
    mkdirSync(stateDir);
    const store = new Store(join(stateDir, 'perqueue.sqlite'));
    const engine = new Engine();
    let wf = 0;
    const storeMs = timeMs(() => {
      wf = engine.submit(swg('widest', width));
      store.persist(engine.takeChanges());
    });
    // Running to the end: every entry running, then succeeded, RUN_BATCH entries per commit.
    const ids = engine.nodesOf(wf).map(n => n.id);
    const runMs = timeMs(() => {
      for (let i = 0; i < ids.length; i += RUN_BATCH) {
        const batch = ids.slice(i, i + RUN_BATCH);
        for (const id of batch) engine.markRunning(id, { executor: 'local', jobId: '1', host: 'bench' });
        store.persist(engine.takeChanges());
        for (const id of batch) engine.finish(id, { state: 'succeeded', data: {} });
        store.persist(engine.takeChanges());
      }
    });
    const rssMb = mb(process.memoryUsage().rss);
    // The baselines write these very rows (as the store has them at the end), so that only the
    // store's own work differs.
    const bodies = engine.nodesOf(wf).map(n => JSON.stringify(n));
    engine.unload(wf);
    const statusMs: number[] = [];
    const statusScanMs: number[] = [];
    // Before per-state counts: counting the workflow's entries on its (workflow_id, state) index.
    const scan = store.db.prepare('SELECT state, count(*) AS n FROM nodes WHERE workflow_id=? GROUP BY state');
    store.workflowSummary(wf);
    scan.all(wf);
    for (let r = 0; r < Math.max(5, runs * 3); r++) {
      statusMs.push(timeMs(() => void store.workflowSummary(wf)));
      statusScanMs.push(timeMs(() => void scan.all(wf)));
    }
    store.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    const lsFirstLineMs: number[] = [];
    const lsReadAllMs: number[] = [];
    const pqlStartMs: number[] = [];
    for (let r = 0; r < runs; r++) {
      lsFirstLineMs.push(await firstLineMs(dir));
      pqlStartMs.push(await firstLineMs(dir, ['version']));
      // Before streaming, `pql ls` read and parsed every entry before its first line.
      lsReadAllMs.push(
        timeMs(
          () =>
            void store.db
              .prepare('SELECT body FROM nodes ORDER BY id')
              .all()
              .map(x => JSON.parse((x as { body: string }).body))
        )
      );
    }
    store.close();

    // Baselines: the same rows inserted raw in one transaction, and updated raw per batch.
    const db = rawDb(join(dir, 'raw.sqlite'));
    db.prepare(`INSERT INTO workflows(id, name, doc, created_at) VALUES (1, 'widest', '{}', 0)`).run();
    const ins = db.prepare(
      `INSERT INTO nodes(id, workflow_id, kind, name, state, body) VALUES (?, 1, 'task', 'noop', 'queued', ?)`
    );
    const rawStoreMs = timeMs(() => {
      db.exec('BEGIN');
      for (let i = 0; i < ids.length; i++) ins.run(ids[i], bodies[i]);
      db.exec('COMMIT');
    });
    const upd = db.prepare('UPDATE nodes SET state=?, body=? WHERE id=?');
    const rawRunMs = timeMs(() => {
      for (let i = 0; i < ids.length; i += RUN_BATCH) {
        for (const state of ['running', 'succeeded']) {
          db.exec('BEGIN IMMEDIATE');
          for (let j = i; j < Math.min(i + RUN_BATCH, ids.length); j++) upd.run(state, bodies[j], ids[j]);
          db.exec('COMMIT');
        }
      }
    });
    db.close();
    return {
      storeMs,
      rawStoreMs,
      runMs,
      rawRunMs,
      statusMs,
      statusScanMs,
      lsFirstLineMs,
      lsReadAllMs,
      pqlStartMs,
      rssMb
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchUpToD(
  rows: Row[],
  {
    W,
    T,
    BIG_WF,
    BIG_W,
    runs,
    smoke,
    sz
  }: { W: number; T: number; BIG_WF: number; BIG_W: number; runs: number; smoke: boolean; sz: (n: number) => string }
): Promise<void> {
  const a = benchSubmit(W, runs);
  rows.push({
    bench: 'engine',
    metric: `(a) compile + store a ${sz(W)}-entry SWG`,
    unit: 'ms',
    goal: smoke ? '-' : '≤ 2000',
    ours: spread(a.ours),
    baselineName: 'raw node:sqlite INSERT of the same rows, one transaction',
    baseline: spread(a.raw),
    better: 'lower',
    note: `db ${mb(a.dbBytes).toFixed(1)} MB`
  });

  const b = benchTransitions(T, runs);
  rows.push({
    bench: 'engine',
    metric: `(b) committed transitions (${sz(2 * T)}: running + finished)`,
    unit: '/s',
    goal: smoke ? '-' : '≥ 5000',
    ours: spread(b.ours),
    baselineName: 'raw UPDATE, one per transaction (WAL, NORMAL)',
    baseline: spread(b.raw),
    better: 'higher'
  });

  const c = benchStatus(W, Math.max(5, runs * 3));
  rows.push({
    bench: 'engine',
    metric: `(c) status of a ${sz(W)}-entry workflow`,
    unit: 'ms',
    goal: smoke ? '-' : '≤ 50',
    ours: spread(c.ours),
    baselineName: 'read every entry and count',
    baseline: spread(c.naive),
    better: 'lower'
  });

  const dir = tempDir();
  try {
    const path = join(dir, 'big.sqlite');
    const buildMs = timeMs(() => buildBigStore(path, BIG_WF, BIG_W, smoke ? 10 : 1000));
    const total = BIG_WF * BIG_W;
    const dbMb = mb(statSync(path).size + (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0));
    const p = await runProbe(path, 1, Math.max(3, runs));
    const tag = `${sz(total)}-entry store`;
    rows.push(
      {
        bench: 'engine',
        metric: `(d) ${tag}: status of one ${sz(BIG_W)}-entry workflow`,
        unit: 'ms',
        goal: smoke ? '-' : '≤ 50',
        ours: spread(p.summaryMs),
        baselineName: 'read every entry and count',
        baseline: spread(p.summaryNaiveMs),
        better: 'lower'
      },
      {
        bench: 'engine',
        metric: `(d) ${tag}: status of all ${BIG_WF} workflows`,
        unit: 'ms',
        goal: '-',
        ours: spread(p.allSummariesMs),
        baselineName: '-',
        baseline: null,
        better: 'lower'
      },
      {
        bench: 'engine',
        metric: `(d) ${tag}: list the ${sz(p.failures)} failures`,
        unit: 'ms',
        goal: '-',
        ours: spread(p.failuresMs),
        baselineName: 'same query, table scan (NOT INDEXED)',
        baseline: spread(p.failuresNoIndexMs),
        better: 'lower'
      },
      {
        bench: 'engine',
        metric: `(d) ${tag}: RSS of a process that opened it and ran the queries`,
        unit: 'MB',
        goal: '-',
        ours: spread([p.rssAfterQueriesMb]),
        baselineName: 'the same process before opening it',
        baseline: spread([p.rssStartMb]),
        better: 'lower',
        note: `db ${dbMb.toFixed(1)} MB, built in ${(buildMs / 1000).toFixed(2)} s`
      },
      {
        bench: 'engine',
        metric: `(d) ${tag}: restart with every workflow active (load ${sz(p.loadedEntries)} entries into the engine)`,
        unit: 'ms',
        goal: '-',
        ours: spread([p.loadAllMs]),
        baselineName: '-',
        baseline: null,
        better: 'lower',
        note: `RSS then ${p.rssLoadedMb.toFixed(0)} MB`
      }
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--probe') {
    const res = probe(argv[1], Number(argv[2]), Number(argv[3]));
    process.send!(res, () => process.exit(0));
    return;
  }
  const args = parseArgs(argv);
  const smoke = args.smoke;
  const W = smoke ? 1_000 : 100_000;
  const T = smoke ? 500 : 10_000; // entries in (b): 2 committed transitions each
  const BIG_WF = smoke ? 4 : 10;
  const BIG_W = smoke ? 500 : 100_000;
  const runs = args.runs ?? (smoke ? 1 : 3);
  const rows: Row[] = [];
  const sz = (n: number) => n.toLocaleString('en-US');

  const at = args.rest.indexOf('--width');
  const widthArg = at >= 0 ? Number(args.rest[at + 1]) : undefined;
  const onlyWidest = args.rest.includes('--only-widest');

  console.log(`engine benchmark${smoke ? ' (smoke sizes)' : ''}: ${runs} run(s) each, medians (min–max)`);
  if (!onlyWidest) await benchUpToD(rows, { W, T, BIG_WF, BIG_W, runs, smoke, sz });

  // (e) last: it holds the widest group in memory, and no other figure should pay for that.
  const E = smoke ? 2_000 : (widthArg ?? MAX_GROUP_WIDTH);
  const e = await benchWidest(E, Math.max(3, runs));
  const wide = `${sz(E)}-entry SWG`;
  rows.push(
    {
      bench: 'engine',
      metric: `(e) compile + store a ${wide} (the widest group)`,
      unit: 'ms',
      goal: smoke ? '-' : '≤ 10000',
      ours: spread([e.storeMs]),
      baselineName: 'raw node:sqlite INSERT of the same rows, one transaction',
      baseline: spread([e.rawStoreMs]),
      better: 'lower',
      note: `bench process RSS after running it: ${e.rssMb.toFixed(0)} MB`
    },
    {
      bench: 'engine',
      metric: `(e) run the ${wide} to the end, no-op executor (${RUN_BATCH} endings per commit)`,
      unit: 'ms',
      goal: '-',
      ours: spread([e.runMs]),
      baselineName: `raw UPDATE of the same rows, running then succeeded, ${RUN_BATCH} per transaction`,
      baseline: spread([e.rawRunMs]),
      better: 'lower'
    },
    {
      bench: 'engine',
      metric: `(e) status of the ${wide} workflow`,
      unit: 'ms',
      goal: smoke ? '-' : '≤ 50',
      ours: spread(e.statusMs),
      baselineName: 'count on the (workflow, state) index (the status before per-state counts)',
      baseline: spread(e.statusScanMs),
      better: 'lower'
    },
    {
      bench: 'engine',
      metric: `(e) first line of \`pql ls\` on the ${sz(E)}-entry store (process start included)`,
      unit: 'ms',
      goal: smoke ? '-' : '≤ 100',
      ours: spread(e.lsFirstLineMs),
      baselineName: 'read and parse every entry (what ls did before its first line; in-process)',
      baseline: spread(e.lsReadAllMs),
      better: 'lower',
      note: `\`pql version\` (starting Node and the CLI) takes ${spread(e.pqlStartMs).median.toFixed(0)} ms`
    }
  );

  printRows('Engine and store', rows);
  writeRows(args.out, rows);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
