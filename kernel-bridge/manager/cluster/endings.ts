// How a cluster run ends. The run folder's marker first (it holds the task's own exit code and
// result; a failure the task's stderr does not explain waits for the scheduler's account), the
// scheduler's word second when the job ended without a marker (time-out, out of memory,
// cancelled by a person, node failure), and MyQueue's kick (an automatic re-run with more time
// or more cores). Every outcome goes through `host.step` to the engine, which commits before
// anything is acted upon; this part never submits or cancels a job itself.
import { join } from 'node:path';
import type { Outcome } from '../../../core/engine.js';
import type { RtNode } from '../../../core/model.js';
import { diagnoseRunFolder } from '../../executors/stderr-diagnosis.js';
import type { JobStatus } from '../../executors/types.js';
import { readOutcome, TIMED_OUT } from '../../runner/results.js';
import { factsOf, readFacts, withTail, writeFacts } from './facts.js';
import type { ClusterCore, ClusterRun } from './run.js';

/** How long a failed marker waits for the scheduler's account before it is taken alone. */
const SCHEDULER_WORD_MS = 30_000;

export class RunEndings {
  constructor(
    private readonly core: ClusterCore,
    /** A poll now rather than at its pace; returns the time it was asked. */
    private readonly askSchedulerSoon: () => number
  ) {}

  /**
   * The job wrote its marker. A failure may be the scheduler's kill (time or memory limit) that
   * the task's stderr does not show yet: then the scheduler's account (`said`, from a poll)
   * decides, awaited for up to SCHEDULER_WORD_MS, so that a kill gets its kick.
   */
  async fromMarker(run: ClusterRun, exitCode: number, said?: JobStatus): Promise<void> {
    const core = this.core;
    if (core.runs.get(run.entryId) !== run || run.deciding) return;
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
      } else if (
        !said &&
        run.jobId !== null &&
        Date.now() - (run.unexplainedSince ??= this.askSchedulerSoon()) < SCHEDULER_WORD_MS
      ) {
        run.deciding = false;
        return;
      }
    }
    if (core.runs.get(run.entryId) !== run) return;
    core.runs.delete(run.entryId);
    const resubmittedWith = this.finish(run, outcome, kick);
    // What is known now; the scheduler's own account (node, times, state) replaces it soon.
    const state =
      kick === 'time' ? 'timed_out' : kick === 'memory' ? 'out_of_memory' : exitCode === 0 ? 'completed' : 'failed';
    writeFacts(run.req.runDir, {
      executor: run.kind,
      jobId: run.jobId,
      jobName: run.req.jobName,
      state,
      exitCode,
      reason: 'from the marker; the scheduler was not asked yet',
      resubmittedWith
    });
    core.facts.push({
      entryId: run.entryId,
      workflowId: run.workflowId,
      attempt: run.attempt,
      kind: run.kind,
      jobId: run.jobId,
      jobName: run.req.jobName,
      runDir: run.req.runDir,
      until: Date.now() + 60_000,
      resubmittedWith
    });
  }

  /** The run ended: the engine takes the outcome; returns the bigger resources of a kick. */
  finish(run: ClusterRun, outcome: Outcome, kick?: 'time' | 'memory'): string | undefined {
    const { host, setup } = this.core;
    this.core.runs.delete(run.entryId);
    const n = host.engine.node(run.entryId);
    if (!n || n.attempt !== run.attempt) return undefined;
    host.dispatched.delete(run.entryId);
    let bigger: string | undefined;
    host.step(() => {
      if (kick && n.attempt <= n.retries && (n.state === 'queued' || n.state === 'running')) {
        // MyQueue's kick: the automatic re-run gets more time or more cores (memory).
        const more = setup.bigger(n.resources ?? run.resources, kick);
        if (more && more !== n.resources) {
          bigger = more;
          if (outcome.state !== 'succeeded' && outcome.state !== 'discarded') {
            outcome = { ...outcome, error: `${outcome.error}\n(resubmitted with resources ${more})` };
          }
        }
      }
      host.engine.finish(run.entryId, outcome, { retryResources: bigger });
    });
    return bigger;
  }

  failRun(run: ClusterRun, error: string): void {
    this.finish(run, { state: 'failed', error });
  }

  /** The job ended without a marker: the scheduler's word decides. */
  fromScheduler(run: ClusterRun, s: JobStatus): void {
    const { host, runs } = this.core;
    const runDir = run.req.runDir;
    const tmax = run.req.resources.tmax;
    const facts = factsOf(run.kind, run.jobId, run.req.jobName, s);
    const said = `${run.kind}: ${s.reason ?? s.state}${s.exitCode !== undefined ? `, exit code ${s.exitCode}` : ''}`;
    const n = host.engine.node(run.entryId);
    if (n && n.attempt === run.attempt) {
      const known: Partial<Pick<RtNode, 'host' | 'startedAt'>> = {};
      if (s.node) known.host = s.node;
      if (s.startedAt) known.startedAt = s.startedAt;
      if (Object.keys(known).length > 0) host.step(() => host.engine.noteFacts(run.entryId, known));
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
        facts.resubmittedWith = this.finish(
          run,
          { state: 'failed', error: withTail(`out of memory (${said})`, runDir) },
          'memory'
        );
        writeFacts(runDir, facts);
        return;
      case 'cancelled':
        writeFacts(runDir, facts);
        // Nobody here asked for it (our own cancels leave the map first): a person used scancel.
        runs.delete(run.entryId);
        host.dispatched.delete(run.entryId);
        host.log(`entry ${run.entryId}: job ${run.jobId} was cancelled outside PerQueue Lab (${said})`);
        host.cancelEntry(run.entryId);
        return;
      case 'node_fail': {
        writeFacts(runDir, facts);
        const previous = readFacts(join(runDir, '..', `${run.entryId}.${run.attempt - 1}`));
        if (previous?.state === 'node_fail') {
          this.failRun(run, `the node failed again (${said}); not requeued a second time`);
          return;
        }
        runs.delete(run.entryId);
        host.dispatched.delete(run.entryId);
        host.log(`entry ${run.entryId}: node failure (${said}); requeued once`);
        host.step(() => host.engine.requeue(run.entryId));
        return;
      }
    }
  }
}
