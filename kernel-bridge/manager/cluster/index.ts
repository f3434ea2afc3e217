// Cluster runs: entries whose resource string sends them to the project's scheduler (Slurm, PBS
// or LSF, described in `.perqueue/config.json`) instead of the local pool. The manager owns the
// engine and the transactions; this part owns what happens between a committed run intent and
// the engine's next step: submitting the job, noticing that it started and ended (the run
// folder's marker first, the scheduler second), the scheduler's own end states (time-out, out
// of memory, cancellation, node failure), cancelling jobs, and reconciling after a crash by the
// job's unique name. It never decides workflow logic: every state change goes through
// `host.step`, which commits before anything is acted upon.
//
// Native dependencies (Slurm, `nativeDependencies`, on by default): a waiting task whose every
// parent is a job of the same scheduler is submitted ahead, with `--dependency=afterok` on its
// parents' jobs, so Slurm starts it the moment they end. Its job script waits for input.json,
// which the bridge writes only when the engine queues the entry; until then the job is an
// "ahead" submission here, outside the engine (its run intent is in the runs table all the
// same). Anything else the engine decides for the entry cancels the ahead job; an ahead job that
// ends without claiming its run folder (killed by Slurm for an invalid dependency, or tired of
// waiting) is dropped, or submitted again once the entry is queued.
//
// Test hook: with PQ_FAULT=after-sbatch in its environment the bridge SIGKILLs itself right
// after the scheduler accepted a job and before the job id is recorded (the crash window that
// reconciliation by job name must cover). Nothing else reads PQ_FAULT.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine, Outcome } from '../../core/engine.js';
import type { RtNode } from '../../core/model.js';
import { formatResources, parseResources } from '../../core/resources.js';
import { ClusterConfigError, selectNode, validateClusterConfig, type ClusterConfig, type SchedulerKind } from '../executors/cluster-config.js';
import { LsfExecutor } from '../executors/lsf.js';
import { PbsExecutor } from '../executors/pbs.js';
import { SchedulerRejectedError, SchedulerUnavailableError, SubmitOutcomeUnknownError } from '../executors/scheduler-command.js';
import { SlurmExecutor } from '../executors/slurm.js';
import { diagnoseRunFolder } from '../executors/stderr-diagnosis.js';
import type { Executor, JobRequest, JobStatus } from '../executors/types.js';
import type { ProjectPaths } from '../project.js';
import { readMarker, readOutcome, TIMED_OUT } from '../runner/results.js';
import type { RunRecord, Store } from '../store/store.js';

export type Route = SchedulerKind;

/** What the manager lends to the cluster part. */
export interface ClusterHost {
  readonly engine: Engine;
  readonly store: Store;
  readonly paths: ProjectPaths;
  /** Entry id -> attempt handed to an executor (shared with the manager's dispatch check). */
  readonly dispatched: Map<number, number>;
  step(action: () => void, extra?: () => void): void;
  /** Cancel an entry and what is below it, as a person would (stops their jobs too). */
  cancelEntry(id: number): void;
  /** The job request of an entry's current attempt, or of the given one (job script written on first use). */
  requestFor(n: RtNode, attempt?: number): JobRequest;
  log(line: string): void;
}

/** The scheduler's last word on a run, kept in its run folder for `pql show`. */
export interface SchedulerFacts {
  executor: string;
  jobId: string | null;
  jobName: string;
  state?: string;
  exitCode?: number;
  node?: string;
  startedAt?: number;
  endedAt?: number;
  reason?: string;
  resubmittedWith?: string;
}

export const SCHEDULER_FACTS = 'scheduler.json';

interface ClusterRun {
  entryId: number;
  workflowId: number;
  attempt: number;
  kind: Route;
  req: JobRequest;
  resources: string;
  jobId: string | null;
  /** When the run intent was committed. */
  intentAt: number;
  /** The submit command is in flight. */
  submitting: boolean;
  /** The outcome of a submission is unknown: look its job name up before anything else. */
  lookup: boolean;
  /** Do not submit before (the scheduler could not be reached). */
  retryAt: number;
  submitFailures: number;
  running: boolean;
  host?: string;
  /** When the scheduler first said the job ended while no marker was there yet. */
  finalSince?: number;
  /** Submitted before its input existed (native dependency): its job waits for input.json. */
  ahead?: boolean;
  /** A marker is being turned into the entry's outcome (an await is under way). */
  deciding?: boolean;
  /** When a failed marker was first seen with nothing in stderr to explain it. */
  unexplainedSince?: number;
  /** Ahead and not queued by the engine yet (kept in `ahead`, not in `runs`). */
  pre?: boolean;
}

/** A run whose intent was just committed: nothing submitted yet. */
function newRun(n: RtNode, attempt: number, kind: Route, req: JobRequest): ClusterRun {
  return {
    entryId: n.id,
    workflowId: n.workflowId,
    attempt,
    kind,
    req,
    resources: n.resources ?? '',
    jobId: null,
    intentAt: Date.now(),
    submitting: false,
    lookup: false,
    retryAt: 0,
    submitFailures: 0,
    running: false,
  };
}

interface FactsWanted {
  entryId: number;
  workflowId: number;
  attempt: number;
  kind: Route;
  /** Null when the run ended before its job id was known (a crash): found by name first. */
  jobId: string | null;
  jobName: string;
  runDir: string;
  until: number;
  resubmittedWith?: string;
}

/** The scheduler said the job ended but the marker is not there: wait this long for it. */
const MARKER_GRACE_MS = 2_000;
/** How long a failed marker waits for the scheduler's account before it is taken alone. */
const SCHEDULER_WORD_MS = 30_000;
/** A name lookup that finds nothing is trusted only for intents older than the submit timeout. */
const LOOKUP_TRUST_MS = 65_000;
const SUBMIT_TIMEOUT_MS = 60_000;
const MAX_IN_FLIGHT = 8;
const MAX_POLL_MS = 30_000;
/** MyQueue's kick: a time-out is resubmitted with twice the time, up to two days. */
const MAX_TMAX = 2 * 24 * 3600;

export class ClusterRuns {
  private readonly runs = new Map<number, ClusterRun>();
  /** Entry id -> job submitted ahead of the engine (native dependency) for its next attempt. */
  private readonly aheadRuns = new Map<number, ClusterRun>();
  private readonly submitQueue: ClusterRun[] = [];
  private inFlight = 0;
  /** Job ids to cancel, by scheduler; kept until the scheduler confirms. */
  private readonly cancels = new Map<string, Route>();
  /** Cancelled runs whose job id is not known yet (submission outcome unknown). */
  private readonly cancelLookups: ClusterRun[] = [];
  private readonly facts: FactsWanted[] = [];
  private readonly basePollMs: number;
  private pollMs: number;
  private pollTimer?: NodeJS.Timeout;
  private fileTimer?: NodeJS.Timeout;
  private polling = false;
  private closed = false;
  private configCache?: { key: string; config: ClusterConfig | null; error?: string };
  private readonly executors = new Map<string, Executor>();

  constructor(private readonly host: ClusterHost) {
    this.basePollMs = Number(process.env.PQ_SCHEDULER_POLL_MS) || 2_000;
    this.pollMs = this.basePollMs;
  }

  start(): void {
    this.fileTimer = setInterval(() => this.watchFiles(), Number(process.env.PQ_MARKER_POLL_MS) || 150);
    this.schedulePoll(this.basePollMs);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.fileTimer);
    clearTimeout(this.pollTimer);
  }

  // ---------------------------------------------------------------- configuration and routing

  /** The project's cluster configuration, null when there is none; throws naming the bad field. */
  config(): ClusterConfig | null {
    const path = this.host.paths.config;
    let key = 'none';
    try {
      const st = statSync(path);
      key = `${st.mtimeMs}:${st.size}`;
    } catch {
      /* no configuration: everything runs locally */
    }
    if (this.configCache?.key !== key) {
      let config: ClusterConfig | null = null;
      let error: string | undefined;
      if (key !== 'none') {
        try {
          config = validateClusterConfig(JSON.parse(readFileSync(path, 'utf8')));
        } catch (e) {
          error = `${path}: ${(e as Error).message}`;
        }
      }
      this.configCache = { key, config, error };
      this.executors.clear();
    }
    if (this.configCache.error) throw new ClusterConfigError(this.configCache.error);
    return this.configCache.config;
  }

  /** Where an entry runs: the `local` node name or no configuration keep the local pool. */
  routeOf(n: RtNode): Route {
    const res = parseResources(n.resources ?? '1:local:10m');
    if (res.nodename === 'local') return 'local';
    const config = this.config();
    if (!config || config.scheduler === 'local') return 'local';
    return config.scheduler;
  }

  private executor(kind: Route): Executor {
    let ex = this.executors.get(kind);
    if (ex) return ex;
    const config = this.config() ?? { scheduler: kind, nodes: [] };
    const options = { config, submitTimeoutMs: SUBMIT_TIMEOUT_MS };
    if (kind === 'slurm') ex = new SlurmExecutor(options);
    else if (kind === 'pbs') ex = new PbsExecutor(options);
    else if (kind === 'lsf') ex = new LsfExecutor(options);
    else throw new ClusterConfigError(`no executor for '${kind}'`);
    this.executors.set(kind, ex);
    return ex;
  }

  /**
   * Before a finished workflow is removed: the scheduler facts still to be written into its run
   * folders are dropped. (It has no job followed: only queued, running or waiting entries have
   * one. Cancels still being confirmed go on; they need nothing of the workflow.)
   */
  forgetWorkflow(workflowId: number): void {
    for (let i = this.facts.length - 1; i >= 0; i--) if (this.facts[i].workflowId === workflowId) this.facts.splice(i, 1);
  }

  /** Entries and workflows this part still has work for (keeps them loaded). */
  busyWith(workflowId: number): boolean {
    for (const r of this.runs.values()) if (r.workflowId === workflowId) return true;
    for (const r of this.aheadRuns.values()) if (r.workflowId === workflowId) return true;
    if (this.cancelLookups.some((r) => r.workflowId === workflowId)) return true;
    // The scheduler's facts (node, start and end) of runs that just ended are still to be written.
    return this.facts.some((f) => f.workflowId === workflowId);
  }

  owns(entryId: number): boolean {
    return this.runs.has(entryId);
  }

  // ---------------------------------------------------------------- submitting

  /** A committed run intent: submit it (the run folder is written already). */
  dispatch(n: RtNode, req: JobRequest, kind: Route): void {
    const run = newRun(n, n.attempt, kind, req);
    this.runs.set(n.id, run);
    this.enqueue(run);
  }

  private enqueue(run: ClusterRun): void {
    this.submitQueue.push(run);
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.submitQueue.length > 0) {
      const run = this.submitQueue.shift()!;
      if (!this.isLive(run) || run.jobId !== null) continue; // cancelled or done meanwhile
      this.inFlight++;
      void this.submit(run).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async submit(run: ClusterRun): Promise<void> {
    let ex: Executor;
    try {
      ex = this.executor(run.kind);
    } catch (e) {
      return this.failRun(run, `cannot submit to ${run.kind}: ${(e as Error).message}`);
    }
    run.submitting = true;
    let jobId: string;
    try {
      ({ jobId } = await ex.submit(run.req));
    } catch (e) {
      run.submitting = false;
      if (this.closed) return;
      if (run.ahead && !(e instanceof SubmitOutcomeUnknownError)) {
        // A submission ahead is only a head start: never a reason to fail the entry.
        this.host.log(`entry ${run.entryId}: could not submit ahead with a dependency (${(e as Error).message.split('\n')[0]})`);
        if (run.pre) this.dropAhead(run);
        else if (this.runs.get(run.entryId) === run) this.resubmitPlain(run);
        return;
      }
      if (e instanceof SubmitOutcomeUnknownError) {
        // A job may exist: find it by its name before submitting again.
        this.host.log(`entry ${run.entryId}: ${e.message}`);
        run.lookup = true;
      } else if (e instanceof SchedulerUnavailableError) {
        run.submitFailures++;
        run.retryAt = Date.now() + Math.min(MAX_POLL_MS, 1000 * 2 ** run.submitFailures);
        this.host.log(`entry ${run.entryId}: ${run.kind} unreachable, will submit again: ${e.message}`);
      } else if (e instanceof SchedulerRejectedError || e instanceof ClusterConfigError) {
        this.failRun(run, `${run.kind} refused the job: ${e.message}`);
      } else {
        this.failRun(run, `could not submit to ${run.kind}: ${(e as Error).message}`);
      }
      return;
    }
    if (process.env.PQ_FAULT === 'after-sbatch') process.kill(process.pid, 'SIGKILL');
    run.submitting = false;
    if (this.closed) return;
    this.recordJobId(run, jobId);
  }

  private recordJobId(run: ClusterRun, jobId: string): void {
    run.jobId = jobId;
    run.lookup = false;
    const n = this.host.engine.node(run.entryId);
    if (run.pre) {
      const current = this.aheadRuns.get(run.entryId) === run && n?.state === 'waiting' && n.attempt + 1 === run.attempt;
      this.host.store.transaction(() => this.host.store.setRunJobId(run.entryId, run.attempt, jobId));
      if (current) this.considerChildren(run.entryId);
      else {
        if (this.aheadRuns.get(run.entryId) === run) this.aheadRuns.delete(run.entryId);
        this.cancels.set(jobId, run.kind);
        void this.flushCancels();
      }
      return;
    }
    const current = this.runs.get(run.entryId) === run && n?.attempt === run.attempt;
    this.host.step(
      () => {
        if (current) this.host.engine.noteFacts(run.entryId, { executor: run.kind, jobId });
      },
      () => this.host.store.setRunJobId(run.entryId, run.attempt, jobId),
    );
    if (!current) {
      // Cancelled while the submission was in flight.
      this.cancels.set(jobId, run.kind);
      void this.flushCancels();
    } else {
      this.considerChildren(run.entryId);
    }
  }

  // ---------------------------------------------------------------- native dependencies

  private isLive(run: ClusterRun): boolean {
    return this.runs.get(run.entryId) === run || this.aheadRuns.get(run.entryId) === run;
  }

  private nativeDependencies(kind: Route): boolean {
    if (kind !== 'slurm') return false;
    try {
      return this.config()?.nativeDependencies !== false;
    } catch {
      return false;
    }
  }

  /**
   * An entry's job has an id: submit ahead each waiting task below it whose every parent is a
   * job of the same scheduler (or has succeeded already), with afterok on those jobs.
   */
  private considerChildren(entryId: number): void {
    if (this.closed) return;
    const engine = this.host.engine;
    for (const edge of engine.childrenOf(entryId)) {
      const child = engine.node(edge.child);
      if (!child || child.kind !== 'task' || child.state !== 'waiting') continue;
      if (this.aheadRuns.has(child.id) || this.runs.has(child.id) || this.host.dispatched.has(child.id)) continue;
      let kind: Route;
      try {
        kind = this.routeOf(child);
      } catch {
        continue;
      }
      if (!this.nativeDependencies(kind)) continue;
      const deps: string[] = [];
      let ok = true;
      for (const pe of engine.parentsOf(child.id)) {
        // Columns of a width group: one survivor is enough, which afterok cannot say.
        const p = engine.node(pe.parent);
        if (pe.join !== null || !p || p.kind !== 'task') {
          ok = false;
          break;
        }
        if (p.state === 'succeeded') continue;
        const r = this.runs.get(p.id);
        const a = this.aheadRuns.get(p.id);
        if (r && r.kind === kind && r.jobId && r.attempt === p.attempt && (p.state === 'queued' || p.state === 'running')) deps.push(r.jobId);
        else if (a && a.kind === kind && a.jobId && p.state === 'waiting' && a.attempt === p.attempt + 1) deps.push(a.jobId);
        else {
          ok = false;
          break;
        }
      }
      if (ok && deps.length > 0) this.submitAhead(child, kind, deps);
    }
  }

  private submitAhead(n: RtNode, kind: Route, deps: string[]): void {
    const attempt = n.attempt + 1;
    let req: JobRequest;
    try {
      req = { ...this.host.requestFor(n, attempt), dependsOn: deps };
      mkdirSync(req.runDir, { recursive: true });
      if (existsSync(join(req.runDir, 'pid')) || existsSync(join(req.runDir, 'input.json'))) return; // used already
      const now = Date.now();
      this.host.store.transaction(() =>
        this.host.store.recordRun({ nodeId: n.id, attempt, runDir: req.runDir, jobName: req.jobName, executor: kind, jobId: null, submittedAt: now }),
      );
    } catch (e) {
      this.host.log(`entry ${n.id}: not submitted ahead: ${(e as Error).message}`);
      return;
    }
    const run: ClusterRun = {
      ...newRun(n, attempt, kind, req),
      ahead: true,
      pre: true,
    };
    this.aheadRuns.set(n.id, run);
    this.enqueue(run);
  }

  /** The engine queued this entry: is its job submitted ahead already? */
  hasAhead(n: RtNode): boolean {
    return this.aheadRuns.get(n.id)?.attempt === n.attempt;
  }

  /** The engine queued an entry submitted ahead (its input.json is written now): a run like any other. */
  takeAhead(n: RtNode): void {
    const run = this.aheadRuns.get(n.id)!;
    this.aheadRuns.delete(n.id);
    run.pre = false;
    run.intentAt = Date.now();
    this.runs.set(n.id, run);
    if (run.jobId) {
      const jobId = run.jobId;
      this.host.step(() => this.host.engine.noteFacts(n.id, { executor: run.kind, jobId }));
    }
  }

  /** After every step: ahead jobs of entries the engine decided otherwise about are cancelled. */
  afterStep(changed: RtNode[]): void {
    if (this.aheadRuns.size === 0) return;
    for (const n of changed) {
      const run = this.aheadRuns.get(n.id);
      if (!run) continue;
      if (n.state === 'waiting' && n.attempt + 1 === run.attempt) continue;
      this.host.log(`entry ${n.id} is ${n.state}: cancelling its job submitted ahead${run.jobId ? ` (${run.jobId})` : ''}`);
      this.dropAhead(run);
    }
  }

  private dropAhead(run: ClusterRun): void {
    if (this.aheadRuns.get(run.entryId) === run) this.aheadRuns.delete(run.entryId);
    if (run.jobId) {
      this.cancels.set(run.jobId, run.kind);
      void this.flushCancels();
    } else if (run.lookup) this.cancelLookups.push(run);
    // Otherwise in flight (recordJobId cancels it) or still in the queue (never submitted).
  }

  /** An activated ahead job ended without claiming its run folder: submit the run again, plainly. */
  private resubmitPlain(run: ClusterRun): void {
    this.host.log(`entry ${run.entryId}: job ${run.jobId ?? '(none)'} submitted ahead ended before it ran; submitting it again`);
    run.jobId = null;
    run.ahead = false;
    run.finalSince = undefined;
    run.lookup = false;
    run.intentAt = Date.now();
    run.req = { ...run.req, dependsOn: [] };
    this.enqueue(run);
  }

  // ---------------------------------------------------------------- cancelling

  /** The engine cancelled these entries: stop their jobs. Returns the ids that were cluster runs. */
  cancel(ids: number[]): Set<number> {
    const mine = new Set<number>();
    for (const id of ids) {
      const run = this.runs.get(id);
      if (!run) continue;
      mine.add(id);
      this.runs.delete(id);
      this.host.dispatched.delete(id);
      if (run.jobId) this.cancels.set(run.jobId, run.kind);
      else if (run.lookup) this.cancelLookups.push(run);
      // Otherwise it is still being submitted (recordJobId cancels it) or waits in the queue (never submitted).
    }
    if (this.cancels.size > 0) void this.flushCancels();
    return mine;
  }

  /** A job left behind by a cancel that a crash interrupted. */
  cancelLeftover(n: RtNode, record: RunRecord): void {
    if (record.jobId) this.cancels.set(record.jobId, record.executor as Route);
    else {
      this.cancelLookups.push({
        ...this.runFromRecord(n, record),
        lookup: true,
      });
    }
  }

  private async flushCancels(): Promise<void> {
    const byKind = new Map<Route, string[]>();
    for (const [id, kind] of this.cancels) byKind.set(kind, [...(byKind.get(kind) ?? []), id]);
    for (const [kind, ids] of byKind) {
      try {
        await this.executor(kind).cancel(ids);
        for (const id of ids) this.cancels.delete(id);
      } catch (e) {
        this.host.log(`could not cancel ${kind} jobs ${ids.join(',')} (will try again): ${(e as Error).message}`);
      }
    }
  }

  // ---------------------------------------------------------------- recovery

  private runFromRecord(n: RtNode, record: RunRecord): ClusterRun {
    return {
      entryId: n.id,
      workflowId: n.workflowId,
      attempt: record.attempt,
      kind: record.executor as Route,
      req: { ...this.host.requestFor(n, record.attempt), jobName: record.jobName, runDir: record.runDir },
      resources: n.resources ?? '',
      jobId: record.jobId,
      intentAt: record.submittedAt,
      submitting: false,
      lookup: record.jobId === null,
      retryAt: 0,
      submitFailures: 0,
      running: n.state === 'running',
      host: n.host ?? undefined,
    };
  }

  /** A waiting entry with a run intent for its next attempt: a job submitted ahead. */
  recoverAhead(n: RtNode, record: RunRecord): void {
    const run = this.runFromRecord(n, record);
    run.ahead = true;
    run.pre = true;
    this.aheadRuns.set(n.id, run);
  }

  /** An entry that was queued or running on a scheduler when the last bridge stopped. */
  recover(n: RtNode, record: RunRecord): void {
    const run = this.runFromRecord(n, record);
    // Intent older than the engine's decision: it was submitted ahead (its job waits for input).
    if (n.queuedAt !== null && record.submittedAt < n.queuedAt) run.ahead = true;
    this.runs.set(n.id, run);
    // Marker first: watchFiles finishes it at once if it ended while no bridge ran. A run whose
    // job id was never recorded is looked up by its name before anything is submitted again.
  }

  // ---------------------------------------------------------------- watching: files first

  private watchFiles(): void {
    if (this.closed) return;
    const now = Date.now();
    for (const run of [...this.runs.values()]) {
      const marker = readMarker(run.req.runDir);
      if (marker !== null) {
        void this.fromMarker(run, marker);
        continue;
      }
      if (!run.running && existsSync(join(run.req.runDir, 'pid'))) this.noteRunning(run);
      if (run.jobId === null && !run.submitting && !run.lookup && run.retryAt > 0 && run.retryAt <= now) {
        run.retryAt = 0;
        this.enqueue(run);
      }
    }
  }

  private noteRunning(run: ClusterRun, status?: JobStatus): void {
    const n = this.host.engine.node(run.entryId);
    if (!n || n.attempt !== run.attempt) return;
    if (n.state === 'queued') {
      run.running = true;
      this.host.step(() => {
        this.host.engine.markRunning(run.entryId, { executor: run.kind, jobId: run.jobId ?? n.jobId, host: status?.node ?? null });
      });
    } else if (n.state === 'running') {
      run.running = true;
    }
    if (status?.node && run.host !== status.node && n.state === 'running') {
      run.host = status.node;
      this.host.step(() =>
        this.host.engine.noteFacts(run.entryId, { host: status.node!, ...(status.startedAt ? { startedAt: status.startedAt } : {}) }),
      );
    }
  }

  /**
   * The job wrote its marker. A failure may be the scheduler's kill (time or memory limit) that
   * the task's stderr does not show yet: then the scheduler's account (`said`, from a poll)
   * decides, awaited for up to SCHEDULER_WORD_MS, so that a kill gets its kick.
   */
  private async fromMarker(run: ClusterRun, exitCode: number, said?: JobStatus): Promise<void> {
    if (this.runs.get(run.entryId) !== run || run.deciding) return;
    run.deciding = true;
    let outcome = readOutcome(run.req.runDir, exitCode, run.req.resources.tmax);
    let kick: 'time' | 'memory' | undefined;
    if (exitCode !== 0 && outcome.state === 'failed') {
      const d = await diagnoseRunFolder(run.req.runDir);
      if (d.outOfMemory || said?.state === 'out_of_memory') {
        kick = 'memory';
        outcome = { state: 'failed', error: `out of memory: ${outcome.error}` };
      } else if (d.timedOut || said?.state === 'timed_out') {
        kick = 'time';
        outcome = readOutcome(run.req.runDir, TIMED_OUT, run.req.resources.tmax);
      } else if (!said && run.jobId !== null && Date.now() - (run.unexplainedSince ??= this.askSchedulerSoon()) < SCHEDULER_WORD_MS) {
        run.deciding = false;
        return;
      }
    }
    if (this.runs.get(run.entryId) !== run) return;
    this.runs.delete(run.entryId);
    const resubmittedWith = this.finish(run, outcome, kick);
    // What is known now; the scheduler's own account (node, times, state) replaces it soon.
    const state = kick === 'time' ? 'timed_out' : kick === 'memory' ? 'out_of_memory' : exitCode === 0 ? 'completed' : 'failed';
    writeFacts(run.req.runDir, { executor: run.kind, jobId: run.jobId, jobName: run.req.jobName, state, exitCode, reason: 'from the marker; the scheduler was not asked yet', resubmittedWith });
    this.facts.push({
      entryId: run.entryId,
      workflowId: run.workflowId,
      attempt: run.attempt,
      kind: run.kind,
      jobId: run.jobId,
      jobName: run.req.jobName,
      runDir: run.req.runDir,
      until: Date.now() + 60_000,
      resubmittedWith,
    });
  }

  private finish(run: ClusterRun, outcome: Outcome, kick?: 'time' | 'memory'): string | undefined {
    this.runs.delete(run.entryId);
    const n = this.host.engine.node(run.entryId);
    if (!n || n.attempt !== run.attempt) return undefined;
    this.host.dispatched.delete(run.entryId);
    let bigger: string | undefined;
    this.host.step(() => {
      if (kick && n.attempt <= n.retries && (n.state === 'queued' || n.state === 'running')) {
        // MyQueue's kick: the automatic re-run gets more time or more cores (memory).
        const more = this.bigger(n.resources ?? run.resources, kick);
        if (more && more !== n.resources) {
          bigger = more;
          if (outcome.state !== 'succeeded' && outcome.state !== 'discarded') {
            outcome = { ...outcome, error: `${outcome.error}\n(resubmitted with resources ${more})` };
          }
        }
      }
      this.host.engine.finish(run.entryId, outcome, { retryResources: bigger });
    });
    return bigger;
  }

  private failRun(run: ClusterRun, error: string): void {
    this.finish(run, { state: 'failed', error });
  }

  /** More time (doubled, at most two days) or more memory (a whole node, then one node more). */
  bigger(resources: string, kick: 'time' | 'memory'): string | undefined {
    const r = parseResources(resources);
    if (kick === 'time') {
      if (r.tmax >= MAX_TMAX) return undefined;
      return formatResources({ ...r, tmax: Math.min(r.tmax * 2, MAX_TMAX) });
    }
    let nodeCores = 0;
    try {
      const config = this.config();
      if (config) nodeCores = selectNode(config, r).node?.cores ?? 0;
    } catch {
      /* no node: double the cores */
    }
    const cores = nodeCores > 0 ? (r.cores < nodeCores ? nodeCores : (Math.floor(r.cores / nodeCores) + 1) * nodeCores) : r.cores * 2;
    const processes = r.processes === r.cores ? cores : r.processes;
    return formatResources({ ...r, cores, processes });
  }

  // ---------------------------------------------------------------- watching: the scheduler second

  /** A poll now rather than at its pace; returns the time it was asked. */
  private askSchedulerSoon(): number {
    if (!this.polling) this.schedulePoll(0);
    return Date.now();
  }

  private schedulePoll(ms: number): void {
    if (this.closed) return;
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.poll(), ms);
    this.pollTimer.unref?.();
  }

  private async poll(): Promise<void> {
    if (this.closed || this.polling) return;
    this.polling = true;
    let trouble = false;
    try {
      trouble = (await this.lookups()) || trouble;
      trouble = (await this.statuses()) || trouble;
      if (this.cancels.size > 0) await this.flushCancels();
    } catch (e) {
      trouble = true;
      this.host.log(`scheduler poll: ${(e as Error).message}`);
    } finally {
      this.polling = false;
    }
    // Unknown answers are asked again, later and later; one clean pass resets the pace.
    this.pollMs = trouble ? Math.min(MAX_POLL_MS, this.pollMs * 2) : this.basePollMs;
    this.schedulePoll(this.pollMs);
  }

  /** Runs whose submission outcome is unknown: find them by job name. Returns true on trouble. */
  private async lookups(): Promise<boolean> {
    const pending = [...this.runs.values(), ...this.aheadRuns.values()].filter((r) => r.lookup && !r.submitting).concat(this.cancelLookups);
    const factsByName = this.facts.filter((f) => f.jobId === null);
    if (factsByName.length > 0) {
      // Runs that ended (marker) before their job id was recorded: the id is still worth keeping.
      const byKind = new Map<Route, FactsWanted[]>();
      for (const f of factsByName) byKind.set(f.kind, [...(byKind.get(f.kind) ?? []), f]);
      for (const [kind, list] of byKind) {
        try {
          const found = await this.executor(kind).findByName(list.map((f) => f.jobName));
          for (const f of list) {
            const jobId = found.get(f.jobName);
            if (!jobId) continue;
            f.jobId = jobId;
            const n = this.host.engine.node(f.entryId);
            this.host.step(
              () => {
                if (n && n.attempt === f.attempt) this.host.engine.noteFacts(f.entryId, { executor: kind, jobId });
              },
              () => this.host.store.setRunJobId(f.entryId, f.attempt, jobId),
            );
          }
        } catch (e) {
          this.logOnce(`cannot look jobs up by name yet: ${(e as Error).message}`);
        }
      }
    }
    if (pending.length === 0) return false;
    const byKind = new Map<Route, ClusterRun[]>();
    for (const r of pending) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r]);
    let trouble = false;
    for (const [kind, runs] of byKind) {
      let found: Map<string, string>;
      try {
        found = await this.executor(kind).findByName(runs.map((r) => r.req.jobName));
      } catch (e) {
        this.logOnce(`cannot look jobs up by name yet: ${(e as Error).message}`);
        trouble = true;
        continue;
      }
      for (const run of runs) {
        const jobId = found.get(run.req.jobName);
        const cancelling = this.cancelLookups.includes(run);
        if (jobId) {
          if (cancelling) {
            this.cancelLookups.splice(this.cancelLookups.indexOf(run), 1);
            this.cancels.set(jobId, kind);
          } else if (this.isLive(run)) {
            this.host.log(`entry ${run.entryId}: found job ${jobId} by its name ${run.req.jobName}`);
            this.recordJobId(run, jobId);
          }
          continue;
        }
        // Not found. A submit command that was running when the bridge died could still land:
        // trust the answer only for intents older than the submit time limit.
        if (Date.now() - run.intentAt < LOOKUP_TRUST_MS) continue;
        if (cancelling) {
          this.cancelLookups.splice(this.cancelLookups.indexOf(run), 1);
          continue;
        }
        if (run.pre && this.aheadRuns.get(run.entryId) === run) {
          this.aheadRuns.delete(run.entryId); // never landed: the entry is submitted when it is ready
          continue;
        }
        if (this.runs.get(run.entryId) !== run) continue;
        run.lookup = false;
        if (existsSync(join(run.req.runDir, 'pid'))) {
          if (readMarker(run.req.runDir) === null) {
            this.failRun(run, `the job ${run.req.jobName} started but ${kind} has no record of it and it left no result`);
          }
          continue;
        }
        this.host.log(`entry ${run.entryId}: no job named ${run.req.jobName} exists; submitting it`);
        this.enqueue(run);
      }
    }
    return trouble;
  }

  /** Ask the scheduler about every run with a job id (and about facts of runs just finished). */
  private async statuses(): Promise<boolean> {
    const now = Date.now();
    for (let i = this.facts.length - 1; i >= 0; i--) if (this.facts[i].until < now) this.facts.splice(i, 1);
    const byKind = new Map<Route, Set<string>>();
    for (const r of this.runs.values()) if (r.jobId) byKind.set(r.kind, (byKind.get(r.kind) ?? new Set()).add(r.jobId));
    for (const r of this.aheadRuns.values()) if (r.jobId) byKind.set(r.kind, (byKind.get(r.kind) ?? new Set()).add(r.jobId));
    for (const f of this.facts) if (f.jobId) byKind.set(f.kind, (byKind.get(f.kind) ?? new Set()).add(f.jobId));
    let trouble = false;
    for (const [kind, ids] of byKind) {
      let answers: Map<string, JobStatus>;
      try {
        answers = await this.executor(kind).status([...ids]);
      } catch (e) {
        this.logOnce(`${kind} status: ${(e as Error).message}`);
        trouble = true;
        continue;
      }
      for (const s of answers.values()) {
        if (s.state === 'unknown' && !/knows this job \(yet\)/.test(s.reason ?? '')) {
          trouble = true;
          this.logOnce(`${kind} cannot say how job ${s.jobId} is (asking again later): ${s.reason}`);
        }
      }
      this.takeStatuses(kind, answers);
    }
    return trouble;
  }

  private lastLogged = '';

  /** Log a problem once, not at every poll while it lasts. */
  private logOnce(line: string): void {
    const key = line.replace(/\d+/g, '#');
    if (key === this.lastLogged) return;
    this.lastLogged = key;
    this.host.log(line);
  }

  private takeStatuses(kind: Route, answers: Map<string, JobStatus>): void {
    const now = Date.now();
    for (const run of [...this.aheadRuns.values()]) {
      if (run.kind !== kind || !run.jobId) continue;
      const s = answers.get(run.jobId);
      // Killed for an invalid dependency (a parent failed), or tired of waiting: the entry is
      // submitted when it is ready, as without native dependencies.
      if (s && s.state !== 'unknown' && s.state !== 'pending' && s.state !== 'running') this.dropAhead(run);
    }
    for (const run of [...this.runs.values()]) {
      if (run.kind !== kind || !run.jobId) continue;
      const s = answers.get(run.jobId);
      if (!s || s.state === 'unknown' || s.state === 'pending') continue;
      const claimed = () => existsSync(join(run.req.runDir, 'pid'));
      if (s.state === 'running') {
        // A job submitted ahead runs only once it has claimed its run folder (input.json came).
        if (!run.ahead || claimed()) this.noteRunning(run, s);
        continue;
      }
      // The job ended. Marker first: it holds the task's own exit code and result.
      const marker = readMarker(run.req.runDir);
      if (marker !== null) {
        void this.fromMarker(run, marker, s);
        continue;
      }
      if (run.finalSince === undefined) {
        run.finalSince = now;
        setTimeout(() => void this.poll(), MARKER_GRACE_MS).unref?.();
        continue;
      }
      if (now - run.finalSince < MARKER_GRACE_MS) continue;
      if (run.ahead && !claimed()) {
        this.resubmitPlain(run);
        continue;
      }
      this.fromScheduler(run, s);
    }
    for (let i = this.facts.length - 1; i >= 0; i--) {
      const f = this.facts[i];
      const s = f.kind === kind && f.jobId ? answers.get(f.jobId) : undefined;
      if (!s || s.state === 'unknown' || s.state === 'pending' || s.state === 'running') continue;
      this.facts.splice(i, 1);
      writeFacts(f.runDir, { ...factsOf(f.kind, f.jobId, f.jobName, s), resubmittedWith: f.resubmittedWith });
      const n = this.host.engine.node(f.entryId);
      if (!n || n.attempt !== f.attempt) continue;
      const known: Partial<Pick<RtNode, 'host' | 'startedAt' | 'endedAt'>> = {};
      if (s.node) known.host = s.node;
      if (s.startedAt) known.startedAt = s.startedAt;
      if (s.endedAt) known.endedAt = s.endedAt;
      if (Object.keys(known).length > 0) this.host.step(() => this.host.engine.noteFacts(f.entryId, known));
    }
  }

  /** The job ended without a marker: the scheduler's word decides. */
  private fromScheduler(run: ClusterRun, s: JobStatus): void {
    const runDir = run.req.runDir;
    const tmax = run.req.resources.tmax;
    const facts = factsOf(run.kind, run.jobId, run.req.jobName, s);
    const said = `${run.kind}: ${s.reason ?? s.state}${s.exitCode !== undefined ? `, exit code ${s.exitCode}` : ''}`;
    const n = this.host.engine.node(run.entryId);
    if (n && n.attempt === run.attempt) {
      const known: Partial<Pick<RtNode, 'host' | 'startedAt'>> = {};
      if (s.node) known.host = s.node;
      if (s.startedAt) known.startedAt = s.startedAt;
      if (Object.keys(known).length > 0) this.host.step(() => this.host.engine.noteFacts(run.entryId, known));
    }
    switch (s.state) {
      case 'completed':
        writeFacts(runDir, facts);
        this.failRun(run, withTail(`the job ended (${said}) without writing its marker`, runDir));
        return;
      case 'failed': {
        writeFacts(runDir, facts);
        const o = readOutcome(runDir, s.exitCode ?? 255, tmax);
        this.finish(run, o.state === 'failed' ? { state: 'failed', error: `${o.error}\n(${said})` } : o);
        return;
      }
      case 'timed_out': {
        const o = readOutcome(runDir, TIMED_OUT, tmax) as { state: 'timed_out'; error: string };
        facts.resubmittedWith = this.finish(run, { state: 'timed_out', error: `${o.error} (${said})` }, 'time');
        writeFacts(runDir, facts);
        return;
      }
      case 'out_of_memory':
        facts.resubmittedWith = this.finish(run, { state: 'failed', error: withTail(`out of memory (${said})`, runDir) }, 'memory');
        writeFacts(runDir, facts);
        return;
      case 'cancelled':
        writeFacts(runDir, facts);
        // Nobody here asked for it (our own cancels leave the map first): a person used scancel.
        this.runs.delete(run.entryId);
        this.host.dispatched.delete(run.entryId);
        this.host.log(`entry ${run.entryId}: job ${run.jobId} was cancelled outside PerQueue Lab (${said})`);
        this.host.cancelEntry(run.entryId);
        return;
      case 'node_fail': {
        writeFacts(runDir, facts);
        const previous = readFacts(join(runDir, '..', `${run.entryId}.${run.attempt - 1}`));
        if (previous?.state === 'node_fail') {
          this.failRun(run, `the node failed again (${said}); not requeued a second time`);
          return;
        }
        this.runs.delete(run.entryId);
        this.host.dispatched.delete(run.entryId);
        this.host.log(`entry ${run.entryId}: node failure (${said}); requeued once`);
        this.host.step(() => this.host.engine.requeue(run.entryId));
        return;
      }
    }
  }
}

function factsOf(kind: string, jobId: string | null, jobName: string, s: JobStatus): SchedulerFacts {
  return {
    executor: kind,
    jobId,
    jobName,
    state: s.state,
    exitCode: s.exitCode,
    node: s.node,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
    reason: s.reason,
  };
}

function writeFacts(runDir: string, facts: SchedulerFacts): void {
  try {
    writeFileSync(join(runDir, `${SCHEDULER_FACTS}.tmp`), JSON.stringify(facts));
    renameSync(join(runDir, `${SCHEDULER_FACTS}.tmp`), join(runDir, SCHEDULER_FACTS));
  } catch {
    /* the run folder is gone: nothing to keep */
  }
}

export function readFacts(runDir: string): SchedulerFacts | null {
  try {
    return JSON.parse(readFileSync(join(runDir, SCHEDULER_FACTS), 'utf8')) as SchedulerFacts;
  } catch {
    return null;
  }
}

function withTail(error: string, runDir: string): string {
  let t = '';
  try {
    const buf = readFileSync(join(runDir, 'stderr'));
    t = buf.subarray(Math.max(0, buf.length - 2000)).toString('utf8').trim();
  } catch {
    /* no stderr */
  }
  return t ? `${error}\n--- stderr (last lines) ---\n${t}` : error;
}
