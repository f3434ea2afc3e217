// The manager: the bridge's loop. It applies every action to the engine, commits the engine's
// changes (and the run intents they imply) in one transaction, and only then acts on them:
// writes run folders, hands jobs to the executor, kills cancelled ones. On start it takes in
// what finished while it was down and finds the jobs that are still running. It never acts on an
// engine change before it is committed. The parts beside it each own one job: run-folders.ts
// (what a job reads), launch.ts (interpreter and environment), local-recovery.ts (local jobs it
// did not start), cluster/ (entries on Slurm, PBS or LSF).
import { existsSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Engine, type Modification, type Outcome } from '../../core/engine.js';
import { ActionError, SpecError } from '../../core/errors.js';
import type { RtNode } from '../../core/model.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../core/limits.js';
import { parentDataFromStore, receivedKwargsOf } from './parent-data.js';
import { pythonFunctionProblem } from './python-functions.js';
import { workflowState } from '../../core/states.js';
import { validateSpec, type JsonObject, type WorkflowDocument } from '../../core/spec.js';
import { LocalPool } from '../executors/local.js';
import type { JobRequest } from '../executors/types.js';
import type { ProjectPaths } from '../project.js';
import type { EnvVars } from '../runner/environment.js';
import { readMarker, readOutcome, TIMED_OUT } from '../runner/results.js';
import { diskFullNote, setAsideIfForeign } from '../runner/run-owner.js';
import type { Store } from '../store/store.js';
import { ClusterRuns, type Route } from './cluster/index.js';
import { Launches } from './launch.js';
import { LocalRecovery } from './local-recovery.js';
import { RunFolders } from './run-folders.js';

export interface ManagerOptions {
  paths: ProjectPaths;
  store: Store;
  /** Cores of the local pool. */
  localCores: number;
  /** Python for .py tasks when the submitter named none. */
  defaultPython: string;
  log?: (line: string) => void;
}

export interface SubmitOptions {
  python?: string | null;
  virtualEnv?: string | null;
  /** The submitting command's environment (already filtered by keptEnvironment). */
  environment?: EnvVars | null;
  /** The submitting command's working folder: the tasks run there. */
  cwd?: string | null;
}

export interface RetryOptions {
  /** The retrying command's environment: the workflow's runs from then on get it. Absent: unchanged. */
  environment?: EnvVars | null;
}

type Listener = (lastSeq: number) => void;

export class Manager {
  readonly engine: Engine;
  private readonly store: Store;
  private readonly paths: ProjectPaths;
  private readonly pool: LocalPool;
  private listeners = new Set<Listener>();
  /** Entry id -> attempt handed to an executor by this process. */
  private readonly dispatched = new Map<number, number>();
  /** Local jobs this process did not start or lost sight of: followed through their run folders. */
  private readonly localRecovery: LocalRecovery;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly opts: ManagerOptions;
  private closed = false;
  /** Entries sent to the project's scheduler (Slurm, PBS, LSF) rather than the local pool. */
  private readonly cluster: ClusterRuns;
  /** Run folders, job names, job requests and job scripts. */
  private readonly runFolders: RunFolders;
  /** Interpreter, environment and working folder of each entry's runs. */
  private readonly launches: Launches;

  constructor(opts: ManagerOptions) {
    this.opts = opts;
    this.store = opts.store;
    this.paths = opts.paths;
    this.launches = new Launches(opts.store, opts.paths.root, opts.defaultPython);
    this.engine = new Engine();
    this.runFolders = new RunFolders(this.engine, this.store, this.paths, this.launches, opts.log);
    this.pool = new LocalPool(opts.localCores, {
      started: (req, pid) => this.onStarted(req, pid),
      ended: (req, code, timedOut, jobPid) => this.onEnded(req, code, timedOut, jobPid),
      lost: req => this.localRecovery.lost(req),
      log: line => this.opts.log?.(line),
      failed: (req, error) => this.onStartFailed(req, error)
    });
    const store = this.store;
    this.localRecovery = new LocalRecovery({
      engine: this.engine,
      pool: this.pool,
      get storeId() {
        return store.storeId;
      },
      dispatched: this.dispatched,
      step: action => this.step(action),
      runDirOf: n => this.runDirOf(n),
      dispatch: n => this.dispatch(n),
      finishRun: (entryId, attempt, runDir, exitCode, tmax) => this.finishRun(entryId, attempt, runDir, exitCode, tmax),
      log: line => this.opts.log?.(line)
    });
    this.cluster = new ClusterRuns({
      engine: this.engine,
      store: this.store,
      paths: this.paths,
      dispatched: this.dispatched,
      step: (action, extra) => this.step(action, extra),
      cancelEntry: id => void this.cancel(id),
      requestFor: (n, attempt) => this.runFolders.requestFor(n, attempt),
      log: line => this.opts.log?.(line)
    });
  }

  // ---------------------------------------------------------------- life cycle

  /** Load the active workflows and take in what happened while no bridge ran. */
  start(): void {
    for (const record of this.store.activeWorkflows()) {
      this.engine.load(record, this.store.nodesOf(record.id), this.store.edgesOf(record.id));
    }
    this.engine.reserveIds(
      Number(this.store.meta('next_node_id') ?? 1),
      Number(this.store.meta('next_workflow_id') ?? 1)
    );
    this.runFolders.loadProjectTag();
    this.recover();
    this.warmUp();
    this.timers.push(setInterval(() => this.tick(), 1000));
    this.timers.push(setInterval(() => this.localRecovery.watch(), 200));
    this.cluster.start();
  }

  close(): void {
    this.closed = true;
    this.cluster.close();
    this.pool.close();
    for (const t of this.timers) clearInterval(t);
  }

  /** Live clients of a manager this one replaces (after a pause) follow this one. */
  takeListenersFrom(previous: Manager): void {
    for (const l of this.listeners) previous.listeners.add(l);
    this.listeners = previous.listeners;
  }

  onCommit(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  // ---------------------------------------------------------------- actions (API and CLI)

  submit(doc: unknown, opts: SubmitOptions = {}): { workflowId: number; entries: number } {
    const valid: WorkflowDocument = validateSpec(doc, {
      pathExists: p => existsSync(p),
      functionProblem: pythonFunctionProblem
    });
    let workflowId = 0;
    this.step(
      () => {
        workflowId = this.engine.submit(valid);
      },
      () => this.launches.recordSubmission(workflowId, opts)
    );
    return { workflowId, entries: this.engine.nodesOf(workflowId).length };
  }

  retry(id: number, opts: RetryOptions = {}): void {
    this.ensureLoaded(id);
    const environment = opts.environment;
    const workflowId = this.engine.node(id)!.workflowId;
    this.step(
      () => this.engine.retry(id),
      environment ? () => this.launches.recordRetry(workflowId, environment) : undefined
    );
  }

  /**
   * The parents' merged data of an entry (PerQueue's get_parent_data). A finished workflow is
   * read into a scratch engine rather than loaded, so reading it does not make it active again.
   */
  parentDataOf(id: number): JsonObject {
    if (this.engine.node(id)) return this.engine.parentDataOf(id);
    return parentDataFromStore(this.store, id);
  }

  /** What the entry is (or was) called with: its args merged with its parents' data (see receivedKwargsOf). */
  receivedKwargsOf(id: number): JsonObject {
    return receivedKwargsOf(this.store, id, this.engine.node(id) ? this.engine : null);
  }

  /** PerQueue's complete/discard/fail of an entry by hand (see Engine.settleByHand). */
  settleByHand(
    id: number,
    state: 'succeeded' | 'discarded' | 'failed',
    result: { data?: JsonObject | null; error?: string | null }
  ): void {
    this.ensureLoaded(id);
    this.step(() => this.engine.settleByHand(id, state, result));
  }

  cancel(id: number): number[] {
    this.ensureLoaded(id);
    return this.cancelAndStop(() => this.engine.cancel(id));
  }

  cancelWorkflow(workflowId: number): number[] {
    this.ensureWorkflowLoaded(workflowId);
    return this.cancelAndStop(() => this.engine.cancelWorkflow(workflowId));
  }

  /** One engine step that cancels entries, then their jobs stopped; the ids cancelled. */
  private cancelAndStop(cancel: () => number[]): number[] {
    let hit: number[] = [];
    this.step(() => {
      hit = cancel();
    });
    this.stopJobs(hit);
    return hit;
  }

  /**
   * Deletes a workflow that nothing moves in any more (succeeded, failed or cancelled) from the
   * store, and its run folders unless `keepFiles`. A workflow still running or waiting for a
   * person is refused: cancel it first. Notebooks made for its human steps stay (a person's work).
   */
  removeWorkflow(workflowId: number, opts: { keepFiles?: boolean } = {}): RemovedWorkflow {
    const summary = this.store.workflowSummary(workflowId);
    if (!summary) throw new ActionError(`no workflow ${workflowId}`);
    const state = workflowState(summary.counts);
    const where = `workflow ${workflowId} ('${summary.name}')`;
    if (state === 'running' || state === 'awaiting_input') {
      const moving = (['queued', 'running', 'waiting', 'awaiting_input'] as const)
        .filter(k => summary.counts[k])
        .map(k => `${summary.counts[k]} ${k}`)
        .join(', ');
      throw new ActionError(
        `${where} is ${state === 'running' ? 'still running' : 'waiting for a person'} (${moving}): cancel it first (pql cancel -w ${workflowId})`
      );
    }
    this.cluster.forgetWorkflow(workflowId);
    if (this.engine.hasWorkflow(workflowId)) this.engine.unload(workflowId);
    this.launches.forgetWorkflow(workflowId);
    const seq = this.store.removeWorkflow(workflowId);
    const runDir = join(this.paths.runs, String(workflowId));
    let filesProblem: string | undefined;
    if (!opts.keepFiles) {
      this.runFolders.forgetScriptsUnder(runDir);
      try {
        rmSync(runDir, { recursive: true, force: true });
      } catch (e) {
        // The store is already consistent; what is left behind is only disk space.
        filesProblem = (e as Error).message;
        this.opts.log?.(`workflow ${workflowId} removed, but not all of its run folders: ${filesProblem}`);
      }
    }
    for (const l of this.listeners) l(seq);
    return {
      workflowId,
      name: summary.name,
      entries: summary.total,
      runDir,
      filesRemoved: !opts.keepFiles && !filesProblem,
      filesProblem
    };
  }

  modify(id: number, m: Modification): void {
    this.ensureLoaded(id);
    if (m.code !== undefined && typeof m.code === 'string' && m.code.startsWith('/') && !existsSync(m.code)) {
      throw new ActionError(`entry ${id}, field 'code': the script '${m.code}' does not exist`);
    }
    this.step(() => this.engine.modify(id, m));
  }

  approve(id: number, data: JsonObject | undefined, by: string): void {
    if (data !== undefined && nestsDeeperThan(data)) {
      throw new ActionError(`entry ${id}: the data nests deeper than ${MAX_JSON_DEPTH} levels; nothing was changed`);
    }
    this.ensureLoaded(id);
    this.step(() => this.engine.approve(id, data, by));
  }

  reject(id: number, by: string, reason: string): void {
    this.ensureLoaded(id);
    this.step(() => this.engine.reject(id, by, reason));
  }

  get projectRoot(): string {
    return this.paths.root;
  }

  /** The run folder of an entry's latest attempt (or of the given one). */
  runDirOf(n: RtNode, attempt = n.attempt): string {
    return this.runFolders.runDirOf(n, attempt);
  }

  get poolLoad() {
    return this.pool.load;
  }

  // ---------------------------------------------------------------- the step

  /**
   * Apply an engine action, commit what it changed, then act. An action that throws changes
   * nothing: the engine validates before it mutates.
   */
  private step(action: () => void, extra?: () => void): void {
    try {
      action();
    } catch (e) {
      this.restoreFromStore();
      throw e;
    }
    const changes = this.engine.takeChanges();
    const toDispatch = changes.nodes.filter(
      n => n.kind === 'task' && n.state === 'queued' && this.dispatched.get(n.id) !== n.attempt
    );
    // Where each run goes: the resource string's node name and the project's cluster configuration.
    const routes = new Map<number, { route: Route; error?: string }>();
    for (const n of toDispatch) {
      try {
        routes.set(n.id, { route: this.cluster.routeOf(n) });
      } catch (e) {
        routes.set(n.id, { route: 'local', error: (e as Error).message });
      }
    }
    // Entries whose job was submitted ahead (native dependency): their run intent is recorded.
    const ahead = new Set(
      toDispatch
        .filter(n => routes.get(n.id)!.route !== 'local' && !routes.get(n.id)!.error && this.cluster.hasAhead(n))
        .map(n => n.id)
    );
    const now = Date.now();
    let seq: number;
    try {
      seq = this.store.persist(changes, () => {
        extra?.();
        for (const n of toDispatch) {
          if (ahead.has(n.id)) continue;
          this.store.recordRun({
            nodeId: n.id,
            attempt: n.attempt,
            runDir: this.runDirOf(n),
            jobName: this.runFolders.jobName(n),
            executor: routes.get(n.id)!.route,
            jobId: null,
            submittedAt: now
          });
        }
      });
    } catch (e) {
      // Nothing of this step was stored: memory goes back to what the store holds.
      this.reloadWorkflows(new Set([...changes.workflows.map(w => w.id), ...changes.nodes.map(n => n.workflowId)]));
      throw e;
    }
    for (const n of toDispatch) {
      if (ahead.has(n.id)) this.dispatchAhead(n);
      else this.dispatch(n, routes.get(n.id)!);
    }
    this.cluster.afterStep(changes.nodes);
    for (const l of this.listeners) l(seq);
  }

  /** An action threw half-way: drop what it changed in memory (nothing of it was stored). */
  private restoreFromStore(): void {
    this.reloadWorkflows(new Set(this.engine.discardChanges()));
  }

  /** Replace the in-memory state of these workflows by the store's (the committed truth). */
  private reloadWorkflows(ids: Set<number>): void {
    for (const wf of ids) {
      const wasLoaded = this.engine.hasWorkflow(wf);
      if (wasLoaded) this.engine.unload(wf);
      const record = this.store.workflowRecord(wf);
      if (!record || !wasLoaded) continue;
      this.engine.load(record, this.store.nodesOf(wf), this.store.edgesOf(wf));
    }
  }

  /** The engine queued an entry whose job waits already: its input is all it needs. */
  private dispatchAhead(n: RtNode): void {
    const runDir = this.runDirOf(n);
    this.dispatched.set(n.id, n.attempt);
    try {
      this.runFolders.writeRunFolder(n, runDir, true);
    } catch (e) {
      this.cluster.takeAhead(n);
      this.cluster.cancel([n.id]);
      this.dispatched.delete(n.id);
      this.step(() =>
        this.engine.finish(n.id, {
          state: 'failed',
          error: `could not prepare the run folder ${runDir}: ${(e as Error).message}`
        })
      );
      return;
    }
    this.cluster.takeAhead(n);
  }

  // ---------------------------------------------------------------- executors

  private dispatch(n: RtNode, where: { route: Route; error?: string } = { route: 'local' }): void {
    const runDir = this.runDirOf(n);
    if (where.error) {
      this.step(() =>
        this.engine.finish(n.id, { state: 'failed', error: `cannot choose an executor: ${where.error}` })
      );
      return;
    }
    // The local pool writes the run folder only when the job starts: a 100,000-column group
    // must not make 100,000 folders before the first job runs.
    const prepare = (): boolean => {
      try {
        this.runFolders.writeRunFolder(n, runDir);
        return true;
      } catch (e) {
        this.step(() =>
          this.engine.finish(n.id, {
            state: 'failed',
            error: `could not prepare the run folder ${runDir}: ${(e as Error).message}`
          })
        );
        return false;
      }
    };
    this.dispatched.set(n.id, n.attempt);
    if (where.route === 'local') {
      // A task the warm fork server runs needs no job script: write it only if bash runs it.
      const warm = this.runFolders.warmPythonFor(n);
      const req = this.runFolders.requestFor(n, n.attempt, !warm);
      if (warm) warm.beforeBash = () => void this.runFolders.jobScriptOf(n);
      this.pool.submit(req, prepare, warm);
      return;
    }
    const req = this.runFolders.requestFor(n);
    // A scheduler job needs its run folder (its working folder) before it is submitted.
    if (prepare()) this.cluster.dispatch(n, req, where.route);
  }

  /**
   * Start the fork server of the interpreter the next Python task most likely uses (the newest
   * workflow's, else the default) now, so the first task does not wait for Python to start.
   */
  private warmUp(): void {
    if (process.env.PQ_FORKSERVER === '0') return;
    this.pool.warmUp(Launches.warm(this.launches.of(this.store.newestWorkflowId())));
  }

  private onStarted(req: JobRequest, pid: number): void {
    if (this.closed) return;
    const n = this.engine.node(req.entryId);
    if (!n || n.state !== 'queued' || n.attempt !== req.attempt) return;
    this.step(() => this.engine.markRunning(req.entryId, { executor: 'local', jobId: String(pid), host: hostname() }));
  }

  private onStartFailed(req: JobRequest, error: string): void {
    if (this.closed) return;
    const n = this.engine.node(req.entryId);
    if (!n || n.attempt !== req.attempt) return;
    this.dispatched.delete(req.entryId);
    this.opts.log?.(`entry ${req.entryId}: ${error}`);
    this.step(() => this.engine.finish(req.entryId, { state: 'failed', error }));
  }

  private onEnded(req: JobRequest, code: number | null, timedOut: boolean, jobPid: number | null): void {
    if (this.closed) return;
    if (timedOut) return this.finishRun(req.entryId, req.attempt, req.runDir, TIMED_OUT, req.resources.tmax);
    const marker = readMarker(req.runDir);
    if (marker === null) {
      // The claim says whose run this is: another start (a job of an earlier bridge, a fork
      // server that died before it said it started the job) owns it, or the bridge gave the run
      // up. Then this start left without running it, and the run folder tells the end.
      if (this.localRecovery.ownedElsewhere(req, jobPid)) return;
    }
    this.finishRun(req.entryId, req.attempt, req.runDir, marker ?? code ?? 255, req.resources.tmax);
  }

  private finishRun(entryId: number, attempt: number, runDir: string, exitCode: number, tmax: number): void {
    const n = this.engine.node(entryId);
    if (!n || n.attempt !== attempt) return;
    let outcome: Outcome = readOutcome(runDir, exitCode, tmax);
    if (outcome.state === 'failed') {
      const full = diskFullNote(runDir);
      if (full)
        outcome = { ...outcome, error: `the disk holding ${runDir} was full (${full}): ${outcome.error ?? ''}` };
    }
    this.dispatched.delete(entryId);
    try {
      this.step(() => this.engine.finish(entryId, outcome));
    } catch (e) {
      // A result that cannot be taken in (memory is back to the store's state) fails its entry
      // instead of the daemon, which would meet the same run folder again at every restart.
      if (outcome.state !== 'succeeded' && outcome.state !== 'discarded') throw e;
      this.opts.log?.(`entry ${entryId}: its result could not be stored: ${(e as Error).message}`);
      this.step(() =>
        this.engine.finish(entryId, {
          state: 'failed',
          error: `the result could not be stored: ${(e as Error).message}`
        })
      );
    }
  }

  private stopJobs(ids: number[]): void {
    const onCluster = this.cluster.cancel(ids);
    for (const id of ids) {
      if (onCluster.has(id)) continue;
      this.pool.cancel(id);
      this.localRecovery.stop(id);
    }
  }

  // ---------------------------------------------------------------- recovery

  /** Entries that were queued or running when the last bridge stopped. */
  private recover(): void {
    const pending: RtNode[] = [];
    for (const wf of this.engine.workflowIds()) {
      for (const n of this.engine.nodesOf(wf)) {
        if (n.kind === 'task' && (n.state === 'queued' || n.state === 'running')) pending.push(n);
      }
    }
    const requeue: number[] = [];
    for (const n of pending.sort((a, b) => a.id - b.id)) {
      const record = this.store.run(n.id, n.attempt);
      if (record && record.executor !== 'local') {
        // On a scheduler: watched through its run folder and the scheduler, found by name if need be.
        setAsideIfForeign(record.runDir, this.store.storeId, this.opts.log, { id: n.id, attempt: n.attempt });
        // A job submitted ahead may still wait for its input: the crash came before it was written.
        if (!existsSync(join(record.runDir, 'input.json')) && !existsSync(join(record.runDir, 'pid'))) {
          try {
            this.runFolders.writeRunFolder(n, record.runDir, true);
          } catch {
            /* the job, if any, gives up waiting and the run is submitted again */
          }
        }
        this.dispatched.set(n.id, n.attempt);
        this.cluster.recover(n, record);
        continue;
      }
      // On the local pool: see local-recovery.ts.
      if (this.localRecovery.recover(n)) requeue.push(n.id);
    }
    // Jobs submitted ahead for waiting entries (native dependencies): watched until the engine decides.
    for (const wf of this.engine.workflowIds()) {
      for (const n of this.engine.nodesOf(wf)) {
        if (n.kind !== 'task' || n.state !== 'waiting') continue;
        const record = this.store.run(n.id, n.attempt + 1);
        if (record && record.executor !== 'local') this.cluster.recoverAhead(n, record);
      }
    }
    if (requeue.length > 0) {
      this.step(() => requeue.forEach(id => this.engine.requeue(id)));
      this.localRecovery.afterWrite(`entries ${requeue.join(', ')} queued again`);
    }
    // A cancel that a crash interrupted may have left its scheduler job behind: cancel it again.
    for (const wf of this.engine.workflowIds()) {
      for (const n of this.engine.nodesOf(wf)) {
        if (n.kind !== 'task' || n.state !== 'cancelled' || n.attempt < 1) continue;
        const record = this.store.run(n.id, n.attempt);
        if (record && record.executor !== 'local') this.cluster.cancelLeftover(n, record);
      }
    }
  }

  // ---------------------------------------------------------------- housekeeping

  private tick(): void {
    if (this.closed) return;
    if (this.engine.awaitingInput().some(n => n.deadline !== null && n.deadline <= Date.now())) {
      this.step(() => this.engine.expireManualSteps());
    }
    this.unloadFinished();
  }

  /** Workflows whose every entry has settled leave memory; their rows stay in the file. */
  private unloadFinished(): void {
    for (const wf of this.engine.workflowIds()) {
      const nodes = this.engine.nodesOf(wf);
      if (this.cluster.busyWith(wf)) continue;
      if (
        nodes.every(
          n => n.state === 'succeeded' || n.state === 'discarded' || n.state === 'skipped' || n.state === 'cancelled'
        )
      ) {
        this.store.setWorkflowActive(wf, false);
        this.engine.unload(wf);
        this.launches.forgetWorkflow(wf);
      }
    }
  }

  private ensureLoaded(nodeId: number): void {
    if (this.engine.node(nodeId)) return;
    const n = this.store.node(nodeId);
    if (!n) throw new ActionError(`no entry ${nodeId}`);
    this.ensureWorkflowLoaded(n.workflowId);
  }

  private ensureWorkflowLoaded(workflowId: number): void {
    if (this.engine.hasWorkflow(workflowId)) return;
    const record = this.store.workflowRecord(workflowId);
    if (!record) throw new ActionError(`no workflow ${workflowId}`);
    this.engine.load(record, this.store.nodesOf(workflowId), this.store.edgesOf(workflowId));
    this.store.setWorkflowActive(workflowId, true);
  }
}

export interface RemovedWorkflow {
  workflowId: number;
  name: string;
  entries: number;
  /** Its run folders' parent, removed unless the caller kept the files. */
  runDir: string;
  filesRemoved: boolean;
  /** Why some of its files could not be removed. */
  filesProblem?: string;
}

export function isUserError(e: unknown): e is Error {
  return e instanceof SpecError || e instanceof ActionError;
}
