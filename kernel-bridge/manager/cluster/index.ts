// Cluster runs: entries whose resource string sends them to the project's scheduler (Slurm, PBS
// or LSF, described in `.perqueue/config.json`) instead of the local pool. The manager owns the
// engine and the transactions; this folder owns what happens between a committed run intent and
// the engine's next step. It never decides workflow logic: every state change goes through
// `host.step`, which commits before anything is acted upon.
//
// This module is the coordinator: it holds the runs followed, is what the manager sees, watches
// the run folders (the marker first, the scheduler second) and records job ids. The parts:
//   setup.ts         configuration, routing, one executor per scheduler, the kick's resources
//   submit-queue.ts  submitting, at most a few commands at once, and what a failed submit means
//   ahead.ts         jobs submitted ahead with native dependencies (Slurm afterok)
//   poll.ts          asking the scheduler: states, jobs found by name, facts of ended runs
//   endings.ts       how a run ends: marker, scheduler's word, MyQueue's kick
//   cancels.ts       cancelling jobs until the scheduler confirms
//   recovery.ts      runs of an earlier bridge taken back from the runs table
//   facts.ts         the scheduler facts file of a run folder (`pql show`)
//   run.ts           the types the parts share
// It never runs a scheduler command itself: the parts do, through the executors.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Outcome } from '../../../core/engine.js';
import type { RtNode } from '../../../core/model.js';
import type { JobRequest, JobStatus } from '../../executors/types.js';
import { readMarker } from '../../runner/results.js';
import type { RunRecord } from '../../store/store.js';
import { AheadSubmissions } from './ahead.js';
import { Cancels } from './cancels.js';
import { RunEndings } from './endings.js';
import type { FactsWanted } from './facts.js';
import { SchedulerPoll } from './poll.js';
import { cancelLeftover, recoverAhead, recoverRun } from './recovery.js';
import { newRun, type ClusterCore, type ClusterHost, type ClusterRun, type Route } from './run.js';
import { ClusterSetup } from './setup.js';
import { SubmitQueue } from './submit-queue.js';

export type { ClusterHost, Route } from './run.js';

export class ClusterRuns implements ClusterCore {
  readonly runs = new Map<number, ClusterRun>();
  readonly facts: FactsWanted[] = [];
  readonly setup: ClusterSetup;
  readonly ahead: AheadSubmissions;
  readonly cancels: Cancels;
  readonly submits: SubmitQueue;
  private readonly endings: RunEndings;
  private readonly poll: SchedulerPoll;
  private fileTimer?: NodeJS.Timeout;
  closed = false;

  constructor(readonly host: ClusterHost) {
    this.setup = new ClusterSetup(host.paths.config);
    this.ahead = new AheadSubmissions(this);
    this.cancels = new Cancels(this);
    this.submits = new SubmitQueue(this);
    this.endings = new RunEndings(this, () => this.poll.askSoon());
    this.poll = new SchedulerPoll(this, this.endings);
  }

  start(): void {
    this.fileTimer = setInterval(() => this.watchFiles(), Number(process.env.PQ_MARKER_POLL_MS) || 150);
    this.poll.start();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.fileTimer);
    this.poll.close();
  }

  // ---------------------------------------------------------------- what the manager asks

  /** Where an entry runs: the `local` node name or no configuration keep the local pool. */
  routeOf(n: RtNode): Route {
    return this.setup.routeOf(n);
  }

  /**
   * Before a finished workflow is removed: the scheduler facts still to be written into its run
   * folders are dropped. (It has no job followed: only queued, running or waiting entries have
   * one. Cancels still being confirmed go on; they need nothing of the workflow.)
   */
  forgetWorkflow(workflowId: number): void {
    for (let i = this.facts.length - 1; i >= 0; i--)
      if (this.facts[i].workflowId === workflowId) this.facts.splice(i, 1);
  }

  /** Entries and workflows this part still has work for (keeps them loaded). */
  busyWith(workflowId: number): boolean {
    for (const r of this.runs.values()) if (r.workflowId === workflowId) return true;
    if (this.ahead.busyWith(workflowId)) return true;
    if (this.cancels.busyWith(workflowId)) return true;
    // The scheduler's facts (node, start and end) of runs that just ended are still to be written.
    return this.facts.some(f => f.workflowId === workflowId);
  }

  /** A committed run intent: submit it (the run folder is written already). */
  dispatch(n: RtNode, req: JobRequest, kind: Route): void {
    const run = newRun(n, n.attempt, kind, req);
    this.runs.set(n.id, run);
    this.submits.enqueue(run);
  }

  /** The engine queued this entry: is its job submitted ahead already? */
  hasAhead(n: RtNode): boolean {
    return this.ahead.has(n);
  }

  /** The engine queued an entry submitted ahead (its input.json is written now): a run like any other. */
  takeAhead(n: RtNode): void {
    this.ahead.take(n);
  }

  /** After every step: ahead jobs of entries the engine decided otherwise about are cancelled. */
  afterStep(changed: RtNode[]): void {
    this.ahead.afterStep(changed);
  }

  /** The engine cancelled these entries: stop their jobs. Returns the ids that were cluster runs. */
  cancel(ids: number[]): Set<number> {
    const mine = new Set<number>();
    for (const id of ids) {
      const run = this.runs.get(id);
      if (!run) continue;
      mine.add(id);
      this.runs.delete(id);
      this.host.dispatched.delete(id);
      this.cancels.note(run);
    }
    if (this.cancels.jobs.size > 0) void this.cancels.flush();
    return mine;
  }

  /** A job left behind by a cancel that a crash interrupted. */
  cancelLeftover(n: RtNode, record: RunRecord): void {
    cancelLeftover(this, n, record);
  }

  /** A waiting entry with a run intent for its next attempt: a job submitted ahead. */
  recoverAhead(n: RtNode, record: RunRecord): void {
    recoverAhead(this, n, record);
  }

  /** An entry that was queued or running on a scheduler when the last bridge stopped. */
  recover(n: RtNode, record: RunRecord): void {
    recoverRun(this, n, record);
  }

  // ---------------------------------------------------------------- what the parts share

  isLive(run: ClusterRun): boolean {
    return this.runs.get(run.entryId) === run || this.ahead.isCurrent(run);
  }

  recordJobId(run: ClusterRun, jobId: string): void {
    run.jobId = jobId;
    run.lookup = false;
    const n = this.host.engine.node(run.entryId);
    if (run.pre) {
      const current = this.ahead.isCurrent(run) && n?.state === 'waiting' && n.attempt + 1 === run.attempt;
      this.host.store.transaction(() => this.host.store.setRunJobId(run.entryId, run.attempt, jobId));
      if (current) this.ahead.considerChildren(run.entryId);
      else {
        this.ahead.forget(run);
        this.cancels.job(jobId, run.kind);
      }
      return;
    }
    const current = this.runs.get(run.entryId) === run && n?.attempt === run.attempt;
    this.host.step(
      () => {
        if (current) this.host.engine.noteFacts(run.entryId, { executor: run.kind, jobId });
      },
      () => this.host.store.setRunJobId(run.entryId, run.attempt, jobId)
    );
    if (!current) {
      // Cancelled while the submission was in flight.
      this.cancels.job(jobId, run.kind);
    } else {
      this.ahead.considerChildren(run.entryId);
    }
  }

  finish(run: ClusterRun, outcome: Outcome, kick?: 'time' | 'memory'): string | undefined {
    return this.endings.finish(run, outcome, kick);
  }

  failRun(run: ClusterRun, error: string): void {
    this.endings.failRun(run, error);
  }

  fromMarker(run: ClusterRun, exitCode: number, said?: JobStatus): Promise<void> {
    return this.endings.fromMarker(run, exitCode, said);
  }

  noteRunning(run: ClusterRun, status?: JobStatus): void {
    const n = this.host.engine.node(run.entryId);
    if (!n || n.attempt !== run.attempt) return;
    if (n.state === 'queued') {
      run.running = true;
      this.host.step(() => {
        this.host.engine.markRunning(run.entryId, {
          executor: run.kind,
          jobId: run.jobId ?? n.jobId,
          host: status?.node ?? null
        });
      });
    } else if (n.state === 'running') {
      run.running = true;
    }
    if (status?.node && run.host !== status.node && n.state === 'running') {
      run.host = status.node;
      this.host.step(() =>
        this.host.engine.noteFacts(run.entryId, {
          host: status.node!,
          ...(status.startedAt ? { startedAt: status.startedAt } : {})
        })
      );
    }
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
        this.submits.enqueue(run);
      }
    }
  }
}
