// The scheduler facts file (`scheduler.json` in a run folder): the scheduler's last word on a
// run (job id, node, times, end state, the resources of a kick), kept for `pql show`, and the
// list of runs whose facts are still to be asked for. It also reads the tail of a run's stderr
// for error messages. It only reads and writes run-folder files: it never asks the scheduler
// and never changes an entry's state.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobStatus } from '../../executors/types.js';
import type { Route } from './run.js';

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

const SCHEDULER_FACTS = 'scheduler.json';

/** A run that ended: the scheduler's account of it is still to be asked for and written. */
export interface FactsWanted {
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

export function factsOf(kind: string, jobId: string | null, jobName: string, s: JobStatus): SchedulerFacts {
  return {
    executor: kind,
    jobId,
    jobName,
    state: s.state,
    exitCode: s.exitCode,
    node: s.node,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
    reason: s.reason
  };
}

export function writeFacts(runDir: string, facts: SchedulerFacts): void {
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

/** An error with the last lines of the run's stderr appended (what the task said before it died). */
export function withTail(error: string, runDir: string): string {
  let t = '';
  try {
    const buf = readFileSync(join(runDir, 'stderr'));
    t = buf
      .subarray(Math.max(0, buf.length - 2000))
      .toString('utf8')
      .trim();
  } catch {
    /* no stderr */
  }
  return t ? `${error}\n--- stderr (last lines) ---\n${t}` : error;
}
