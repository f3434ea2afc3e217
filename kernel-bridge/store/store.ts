// The project's SQLite file: workflows, their nodes and edges, the run intents and the event
// log that live clients follow. One transaction per engine step, committed before the bridge
// acts on it. Only the bridge daemon writes; readers (the CLI without a daemon, viewers) open
// it read-only.
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Changes } from '../../core/engine.js';
import type { RtEdge, RtNode, WorkflowRecord } from '../../core/model.js';
import type { EntryState } from '../../core/states.js';
import { describeStorageProblem, StorageFault, storageProblemOf } from './faults.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';

export interface RunRecord {
  nodeId: number;
  attempt: number;
  runDir: string;
  jobName: string;
  executor: string;
  jobId: string | null;
  submittedAt: number;
}

export interface EventRecord {
  seq: number;
  at: number;
  workflowId: number;
  nodeId: number | null;
  type: 'node' | 'workflow';
  state: string | null;
}

export interface NodeFilter {
  workflowId?: number;
  states?: EntryState[];
  /** Only entries with a larger id. */
  after?: number;
  limit?: number;
}

export interface WorkflowSummary {
  id: number;
  name: string;
  createdAt: number;
  active: boolean;
  total: number;
  counts: Partial<Record<EntryState, number>>;
}

export interface OpenOptions {
  readonly?: boolean;
  /** Called once if the file system refused WAL (network file systems). */
  onWarning?: (message: string) => void;
  /** Called when a write fails because of the disk or the file (full, read-only, damaged). */
  onFault?: (fault: StorageFault) => void;
}

export class Store {
  readonly db: DatabaseSync;
  private readonly stmts = new Map<string, StatementSync>();
  private readonly onFault?: (fault: StorageFault) => void;

  constructor(
    readonly path: string,
    opts: OpenOptions = {}
  ) {
    this.onFault = opts.onFault;
    this.db = new DatabaseSync(path, { readOnly: !!opts.readonly, timeout: 10_000 });
    if (opts.readonly) return;
    // Owner only: it holds submitters' environments (SQLite gives -wal and -shm the same mode).
    try {
      chmodSync(path, 0o600);
    } catch {
      /* not the owner: the owner's mode stays */
    }
    const mode = (this.db.prepare('PRAGMA journal_mode=WAL').get() as { journal_mode: string }).journal_mode;
    if (mode !== 'wal') {
      opts.onWarning?.(
        `SQLite refused WAL on ${path} (journal mode '${mode}'): a network file system? Running without WAL is slower.`
      );
    }
    // NORMAL with WAL survives a crash of the process (the OS has the pages); see docs/store.md.
    this.db.exec('PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;');
    this.migrate();
    if (!this.meta('store_id')) this.transaction(() => this.setMeta('store_id', randomBytes(8).toString('hex')));
  }

  /**
   * This store's random id: written into every run folder, so that a run folder is only ever
   * taken as the result of an entry of this very store (not of a store that was replaced).
   */
  get storeId(): string {
    return (this.cachedStoreId ??= this.meta('store_id') ?? '');
  }

  private cachedStoreId?: string;

  close(): void {
    this.db.close();
  }

  private stmt(sql: string): StatementSync {
    let s = this.stmts.get(sql);
    if (!s) this.stmts.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const row = this.stmt("SELECT value FROM meta WHERE key='schema_version'").get() as { value: string } | undefined;
    const current = row ? Number(row.value) : 0;
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `${this.path} has schema version ${current}, newer than this PerQueue Lab (${SCHEMA_VERSION}): upgrade perqueue-lab`
      );
    }
    if (current === SCHEMA_VERSION) return;
    if (current > 0 && existsSync(this.path)) {
      // A backup before changing a schema that holds someone's work.
      this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      copyFileSync(this.path, `${this.path}.v${current}.bak`);
    }
    this.transaction(() => {
      for (let v = current + 1; v <= SCHEMA_VERSION; v++) this.db.exec(MIGRATIONS[v - 1]);
      this.stmt("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
    });
  }

  transaction<T>(fn: () => T): T {
    try {
      this.db.exec('BEGIN IMMEDIATE');
      const out = fn();
      this.db.exec('COMMIT');
      return out;
    } catch (e) {
      // SQLite rolls back by itself after some failures (a full disk, an I/O error): a second
      // ROLLBACK would fail with "no transaction is active" and hide the real error.
      try {
        this.db.exec('ROLLBACK');
      } catch {
        /* already rolled back */
      }
      throw this.asFault(e);
    }
  }

  /** A storage error as a StorageFault (reported to onFault); any other error unchanged. */
  private asFault(e: unknown): unknown {
    let problem = storageProblemOf(e);
    if (!problem) return e;
    // Some writes on a full disk come back as I/O errors (growing the shared-memory file).
    if (problem === 'io_error' && freeBytes(dirname(this.path)) < 1 << 20) problem = 'disk_full';
    const fault =
      e instanceof StorageFault
        ? e
        : new StorageFault(problem, describeStorageProblem(problem, this.path, (e as Error).message), e);
    this.onFault?.(fault);
    return fault;
  }

  schemaVersion(): number {
    const row = this.stmt("SELECT value FROM meta WHERE key='schema_version'").get() as { value: string } | undefined;
    return row ? Number(row.value) : 0;
  }

  // ---------------------------------------------------------------- writing

  /** Persist one engine step (and extra writes of the same step) atomically; returns the last event seq. */
  persist(changes: Changes, extra?: () => void): number {
    return this.transaction(() => {
      const now = Date.now();
      for (const w of changes.workflows) {
        this.stmt(
          `INSERT INTO workflows(id, name, doc, created_at, width_overrides, active) VALUES (?, ?, ?, ?, ?, 1)
           ON CONFLICT(id) DO UPDATE SET width_overrides=excluded.width_overrides`
        ).run(w.id, w.name, JSON.stringify(w.doc), w.createdAt, JSON.stringify(w.widthOverrides));
        this.stmt('INSERT INTO events(at, workflow_id, node_id, type, state) VALUES (?, ?, NULL, ?, NULL)').run(
          now,
          w.id,
          'workflow'
        );
      }
      // An upsert, not INSERT OR REPLACE: the per-state counts are kept by update triggers.
      const upsert = this.stmt(
        `INSERT INTO nodes(id, workflow_id, kind, name, state, body) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET workflow_id=excluded.workflow_id, kind=excluded.kind, name=excluded.name,
           state=excluded.state, body=excluded.body`
      );
      const event = this.stmt("INSERT INTO events(at, workflow_id, node_id, type, state) VALUES (?, ?, ?, 'node', ?)");
      // Ids are never reused: one at or above the stored next id is a new entry, counted here.
      const firstNew = this.firstNewNodeId();
      const added = new Map<string, { workflowId: number; state: string; n: number }>();
      for (const n of changes.nodes) {
        upsert.run(n.id, n.workflowId, n.kind, n.name, n.state, JSON.stringify(n));
        event.run(now, n.workflowId, n.id, n.state);
        if (n.id >= firstNew) {
          const key = `${n.workflowId}:${n.state}`;
          const c = added.get(key);
          if (c) c.n++;
          else added.set(key, { workflowId: n.workflowId, state: n.state, n: 1 });
        }
      }
      const count = this.stmt(
        'INSERT INTO node_counts(workflow_id, state, n) VALUES (?, ?, ?) ON CONFLICT(workflow_id, state) DO UPDATE SET n = n + excluded.n'
      );
      for (const c of added.values()) count.run(c.workflowId, c.state, c.n);
      const del = this.stmt('DELETE FROM edges WHERE child=? AND parent=?');
      for (const e of changes.removedEdges) del.run(e.child, e.parent);
      const add = this.stmt('INSERT OR REPLACE INTO edges(child, parent, join_id) VALUES (?, ?, ?)');
      for (const e of changes.addedEdges) add.run(e.child, e.parent, e.join);
      this.setMeta('next_node_id', String(changes.nextNodeId));
      this.setMeta('next_workflow_id', String(changes.nextWorkflowId));
      extra?.();
      return this.lastSeq();
    });
  }

  /**
   * Deletes a workflow with its entries, edges, run intents and events, and records one
   * `workflow` event with state `removed` for live clients; one transaction. Returns its seq.
   * Ids are never reused (meta keeps the next ones), so nothing can mistake a later workflow for it.
   */
  removeWorkflow(id: number): number {
    return this.transaction(() => {
      const ofWorkflow = 'SELECT id FROM nodes WHERE workflow_id=?';
      this.stmt(`DELETE FROM runs WHERE node_id IN (${ofWorkflow})`).run(id);
      this.stmt(`DELETE FROM edges WHERE child IN (${ofWorkflow})`).run(id);
      this.stmt('DELETE FROM nodes WHERE workflow_id=?').run(id);
      this.stmt('DELETE FROM node_counts WHERE workflow_id=?').run(id);
      this.stmt('DELETE FROM events WHERE workflow_id=?').run(id);
      this.stmt('DELETE FROM workflows WHERE id=?').run(id);
      this.dropUnusedEnvironments();
      this.stmt(
        "INSERT INTO events(at, workflow_id, node_id, type, state) VALUES (?, ?, NULL, 'workflow', 'removed')"
      ).run(Date.now(), id);
      return this.lastSeq();
    });
  }

  /** The smallest id no stored entry can have: the stored next id, or above the largest one. */
  private firstNewNodeId(): number {
    const next = this.meta('next_node_id');
    if (next !== undefined) return Number(next);
    return ((this.stmt('SELECT max(id) AS m FROM nodes').get() as { m: number | null }).m ?? 0) + 1;
  }

  setMeta(key: string, value: string): void {
    this.stmt('INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)').run(key, value);
  }

  meta(key: string): string | undefined {
    return (this.stmt('SELECT value FROM meta WHERE key=?').get(key) as { value: string } | undefined)?.value;
  }

  setWorkflowActive(id: number, active: boolean): void {
    try {
      this.stmt('UPDATE workflows SET active=? WHERE id=?').run(active ? 1 : 0, id);
    } catch (e) {
      throw this.asFault(e);
    }
  }

  setWorkflowPython(id: number, python: string | null): void {
    this.stmt('UPDATE workflows SET python=? WHERE id=?').run(python, id);
  }

  workflowPython(id: number): string | null {
    return (
      (this.stmt('SELECT python FROM workflows WHERE id=?').get(id) as { python: string | null } | undefined)?.python ??
      null
    );
  }

  // ---------------------------------------------------------------- submitters' environments

  /** The id of an environment with exactly these variables, stored once (identical ones share it). */
  environmentId(digest: string, varsJson: string): number {
    this.stmt('INSERT INTO environments(digest, vars) VALUES (?, ?) ON CONFLICT(digest) DO NOTHING').run(
      digest,
      varsJson
    );
    return (this.stmt('SELECT id FROM environments WHERE digest=?').get(digest) as { id: number }).id;
  }

  environmentVars(envId: number): string | undefined {
    return (this.stmt('SELECT vars FROM environments WHERE id=?').get(envId) as { vars: string } | undefined)?.vars;
  }

  /** Where a workflow's tasks run and with what: its submission's environment and folder. */
  setWorkflowOrigin(id: number, envId: number | null, cwd: string | null): void {
    this.stmt('UPDATE workflows SET env_id=?, cwd=? WHERE id=?').run(envId, cwd, id);
  }

  workflowOrigin(id: number): { envId: number | null; cwd: string | null } {
    const r = this.stmt('SELECT env_id, cwd FROM workflows WHERE id=?').get(id) as
      { env_id: number | null; cwd: string | null } | undefined;
    return { envId: r?.env_id ?? null, cwd: r?.cwd ?? null };
  }

  /** A retry's environment: the workflow's runs from now on get it. */
  setWorkflowEnvironment(id: number, envId: number): void {
    this.stmt('UPDATE workflows SET env_id=? WHERE id=?').run(envId, id);
    this.dropUnusedEnvironments();
  }

  /** Environments no workflow refers to any more: they may hold secrets, keep none for nothing. */
  private dropUnusedEnvironments(): void {
    this.stmt('DELETE FROM environments WHERE id NOT IN (SELECT env_id FROM workflows WHERE env_id IS NOT NULL)').run();
  }

  /** The number of stored environments (deduplication is observable in tests). */
  environmentCount(): number {
    return (this.stmt('SELECT count(*) AS n FROM environments').get() as { n: number }).n;
  }

  /** The largest stored entry and workflow ids (0 when there are none). */
  largestIds(): { entry: number; workflow: number } {
    const r = this.stmt(
      'SELECT (SELECT coalesce(max(id), 0) FROM nodes) AS entry, (SELECT coalesce(max(id), 0) FROM workflows) AS workflow'
    ).get() as {
      entry: number;
      workflow: number;
    };
    return { entry: r.entry, workflow: r.workflow };
  }

  /** The id of the newest workflow, or null when there is none. */
  newestWorkflowId(): number | null {
    return (this.stmt('SELECT max(id) AS id FROM workflows').get() as { id: number | null }).id;
  }

  recordRun(r: RunRecord): void {
    this.stmt(
      `INSERT OR REPLACE INTO runs(node_id, attempt, run_dir, job_name, executor, job_id, submitted_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`
    ).run(r.nodeId, r.attempt, r.runDir, r.jobName, r.executor, r.jobId, r.submittedAt);
  }

  setRunJobId(nodeId: number, attempt: number, jobId: string): void {
    this.stmt('UPDATE runs SET job_id=? WHERE node_id=? AND attempt=?').run(jobId, nodeId, attempt);
  }

  // ---------------------------------------------------------------- reading

  run(nodeId: number, attempt: number): RunRecord | undefined {
    const r = this.stmt('SELECT * FROM runs WHERE node_id=? AND attempt=?').get(nodeId, attempt) as
      Record<string, unknown> | undefined;
    return r && rowToRun(r);
  }

  activeWorkflows(): WorkflowRecord[] {
    return (this.stmt('SELECT * FROM workflows WHERE active=1 ORDER BY id').all() as Record<string, unknown>[]).map(
      rowToWorkflow
    );
  }

  workflowRecord(id: number): WorkflowRecord | undefined {
    const r = this.stmt('SELECT * FROM workflows WHERE id=?').get(id) as Record<string, unknown> | undefined;
    return r && rowToWorkflow(r);
  }

  nodesOf(workflowId: number): RtNode[] {
    const stmt = this.stmt('SELECT body FROM nodes WHERE workflow_id=? ORDER BY id');
    if (typeof stmt.iterate !== 'function') {
      // node:sqlite before Node 22.13 has no iterate().
      return (stmt.all(workflowId) as { body: string }[]).map(r => JSON.parse(r.body) as RtNode);
    }
    // Row by row: holding every JSON body of a 100,000-entry workflow at once, next to the
    // parsed entries, raised a restart's peak memory by a third.
    const out: RtNode[] = [];
    for (const r of stmt.iterate(workflowId) as Iterable<{ body: string }>) out.push(JSON.parse(r.body) as RtNode);
    return out;
  }

  edgesOf(workflowId: number): RtEdge[] {
    return (
      this.stmt(
        `SELECT e.child, e.parent, e.join_id FROM edges e JOIN nodes n ON n.id = e.child WHERE n.workflow_id=?`
      ).all(workflowId) as { child: number; parent: number; join_id: number | null }[]
    ).map(r => ({ child: r.child, parent: r.parent, join: r.join_id }));
  }

  node(id: number): RtNode | undefined {
    const r = this.stmt('SELECT body FROM nodes WHERE id=?').get(id) as { body: string } | undefined;
    return r && (JSON.parse(r.body) as RtNode);
  }

  /** Entries matching a filter, in id order; `after` an id, only those above it (a page's cursor). */
  listNodes(filter: NodeFilter = {}): RtNode[] {
    const out: RtNode[] = [];
    for (const n of this.iterateNodes(filter)) out.push(n);
    return out;
  }

  /**
   * The same entries one by one, read as they are consumed: a listing of a million entries
   * starts at once and never holds them all.
   */
  *iterateNodes(filter: NodeFilter = {}): Generator<RtNode> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.workflowId !== undefined) {
      where.push('workflow_id=?');
      args.push(filter.workflowId);
    }
    if (filter.states && filter.states.length > 0) {
      where.push(`state IN (${filter.states.map(() => '?').join(',')})`);
      for (const s of filter.states) args.push(s);
    }
    if (filter.after !== undefined) {
      where.push('id > ?');
      args.push(filter.after);
    }
    if (filter.limit) args.push(Math.trunc(filter.limit));
    const sql = `SELECT body FROM nodes ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id${filter.limit ? ' LIMIT ?' : ''}`;
    // A statement of its own: a listing read half-way must not be reset by the next one.
    const stmt = this.db.prepare(sql);
    if (typeof stmt.iterate !== 'function') {
      // node:sqlite before Node 22.13 has no iterate().
      for (const r of stmt.all(...args) as { body: string }[]) yield JSON.parse(r.body) as RtNode;
      return;
    }
    for (const r of stmt.iterate(...args) as Iterable<{ body: string }>) yield JSON.parse(r.body) as RtNode;
  }

  /** One page of entries: at most `limit`, and the cursor of the next page (null on the last). */
  pageOfNodes(filter: Omit<NodeFilter, 'limit'>, limit: number): { entries: RtNode[]; next: number | null } {
    // One more than asked tells whether another page follows without a second query.
    const entries = this.listNodes({ ...filter, limit: limit + 1 });
    const more = entries.length > limit;
    if (more) entries.length = limit;
    return { entries, next: more ? entries[entries.length - 1].id : null };
  }

  /** Whether the file keeps per-state counts: one opened read-only may predate them. */
  private keepsCounts(): boolean {
    return (this.countsKept ??= this.schemaVersion() >= 3);
  }

  private countsKept?: boolean;

  /** One page of workflow summaries: at most `limit` with ids above `after`, and the next cursor. */
  pageOfWorkflowSummaries(after: number, limit: number): { workflows: WorkflowSummary[]; next: number | null } {
    const workflows = this.workflowSummaries({ after, limit: limit + 1 });
    const more = workflows.length > limit;
    if (more) workflows.length = limit;
    return { workflows, next: more ? workflows[workflows.length - 1].id : null };
  }

  workflowSummaries(page: { after?: number; limit?: number } = {}): WorkflowSummary[] {
    const paged = page.after !== undefined || page.limit !== undefined;
    if (paged) {
      // A page reads its own workflows' counts, one at a time (each a few rows).
      const ids = this.stmt('SELECT id FROM workflows WHERE id > ? ORDER BY id LIMIT ?').all(
        page.after ?? 0,
        page.limit ?? -1
      ) as { id: number }[];
      return ids.map(r => this.workflowSummary(r.id)!);
    }
    const wfs = this.stmt('SELECT id, name, created_at, active FROM workflows ORDER BY id').all() as {
      id: number;
      name: string;
      created_at: number;
      active: number;
    }[];
    const counts = this.stmt(
      this.keepsCounts()
        ? 'SELECT workflow_id, state, n FROM node_counts WHERE n > 0'
        : 'SELECT workflow_id, state, count(*) AS n FROM nodes GROUP BY workflow_id, state'
    ).all() as {
      workflow_id: number;
      state: EntryState;
      n: number;
    }[];
    const byWf = new Map<number, WorkflowSummary>();
    for (const w of wfs) {
      byWf.set(w.id, { id: w.id, name: w.name, createdAt: w.created_at, active: w.active === 1, total: 0, counts: {} });
    }
    for (const c of counts) {
      const s = byWf.get(c.workflow_id);
      if (!s) continue;
      s.counts[c.state] = c.n;
      s.total += c.n;
    }
    return [...byWf.values()];
  }

  workflowSummary(id: number): WorkflowSummary | undefined {
    const w = this.stmt('SELECT id, name, created_at, active FROM workflows WHERE id=?').get(id) as
      { id: number; name: string; created_at: number; active: number } | undefined;
    if (!w) return undefined;
    const counts = this.stmt(
      this.keepsCounts()
        ? 'SELECT state, n FROM node_counts WHERE workflow_id=? AND n > 0'
        : 'SELECT state, count(*) AS n FROM nodes WHERE workflow_id=? GROUP BY state'
    ).all(id) as {
      state: EntryState;
      n: number;
    }[];
    const s: WorkflowSummary = {
      id: w.id,
      name: w.name,
      createdAt: w.created_at,
      active: w.active === 1,
      total: 0,
      counts: {}
    };
    for (const c of counts) {
      s.counts[c.state] = c.n;
      s.total += c.n;
    }
    return s;
  }

  eventsSince(seq: number, limit = 5000): EventRecord[] {
    return (
      this.stmt('SELECT seq, at, workflow_id, node_id, type, state FROM events WHERE seq > ? ORDER BY seq LIMIT ?').all(
        seq,
        limit
      ) as {
        seq: number;
        at: number;
        workflow_id: number;
        node_id: number | null;
        type: 'node' | 'workflow';
        state: string | null;
      }[]
    ).map(r => ({ seq: r.seq, at: r.at, workflowId: r.workflow_id, nodeId: r.node_id, type: r.type, state: r.state }));
  }

  /**
   * Rebuilds the per-state counts from the entries themselves: for writers that copy rows in
   * bulk (salvage) rather than through persist(), which counts the entries it adds.
   */
  recountStates(): void {
    this.transaction(() => {
      this.db.exec('DELETE FROM node_counts');
      this.db.exec(
        'INSERT INTO node_counts(workflow_id, state, n) SELECT workflow_id, state, count(*) FROM nodes GROUP BY workflow_id, state'
      );
    });
  }

  /** How many entries are in one of these states. */
  countInStates(states: EntryState[]): number {
    const marks = states.map(() => '?').join(',');
    const sql = this.keepsCounts()
      ? `SELECT coalesce(sum(n), 0) AS n FROM node_counts WHERE state IN (${marks})`
      : `SELECT count(*) AS n FROM nodes WHERE state IN (${marks})`;
    return (this.stmt(sql).get(...states) as { n: number }).n;
  }

  lastSeq(): number {
    return (this.stmt('SELECT coalesce(max(seq), 0) AS s FROM events').get() as { s: number }).s;
  }
}

function rowToWorkflow(r: Record<string, unknown>): WorkflowRecord {
  return {
    id: r.id as number,
    name: r.name as string,
    doc: JSON.parse(r.doc as string),
    createdAt: r.created_at as number,
    widthOverrides: JSON.parse(r.width_overrides as string)
  };
}

function rowToRun(r: Record<string, unknown>): RunRecord {
  return {
    nodeId: r.node_id as number,
    attempt: r.attempt as number,
    runDir: r.run_dir as string,
    jobName: r.job_name as string,
    executor: r.executor as string,
    jobId: (r.job_id as string | null) ?? null,
    submittedAt: r.submitted_at as number
  };
}

function freeBytes(dir: string): number {
  try {
    const fs = statfsSync(dir);
    return fs.bavail * fs.bsize;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
