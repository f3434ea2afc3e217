// What the parts of the cluster folder share: one run of an entry on a scheduler (`ClusterRun`),
// what the manager lends them (`ClusterHost`) and what the coordinator in index.ts lends its
// parts (`ClusterCore`). Types and a new run; it never acts on a job or an entry.
import type { Engine, Outcome } from '../../../core/engine.js';
import type { RtNode } from '../../../core/model.js';
import type { SchedulerKind } from '../../executors/cluster-config.js';
import type { JobRequest, JobStatus } from '../../executors/types.js';
import type { ProjectPaths } from '../../project.js';
import type { Store } from '../../store/store.js';
import type { AheadSubmissions } from './ahead.js';
import type { Cancels } from './cancels.js';
import type { FactsWanted } from './facts.js';
import type { ClusterSetup } from './setup.js';
import type { SubmitQueue } from './submit-queue.js';

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

export interface ClusterRun {
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

/** What the coordinator (index.ts) lends to the parts of this folder. */
export interface ClusterCore {
  readonly host: ClusterHost;
  readonly setup: ClusterSetup;
  /** Entry id -> run of an entry the engine queued (or that runs). */
  readonly runs: Map<number, ClusterRun>;
  readonly ahead: AheadSubmissions;
  readonly cancels: Cancels;
  readonly submits: SubmitQueue;
  /** Runs that ended whose scheduler facts are still to be written. */
  readonly facts: FactsWanted[];
  readonly closed: boolean;
  /** Is this run still the one followed for its entry (queued or ahead)? */
  isLive(run: ClusterRun): boolean;
  /** The scheduler took the job: record its id (and cancel it if the entry moved on meanwhile). */
  recordJobId(run: ClusterRun, jobId: string): void;
  /** The run ended: the engine takes the outcome; returns the bigger resources of a kick. */
  finish(run: ClusterRun, outcome: Outcome, kick?: 'time' | 'memory'): string | undefined;
  failRun(run: ClusterRun, error: string): void;
  noteRunning(run: ClusterRun, status?: JobStatus): void;
  fromMarker(run: ClusterRun, exitCode: number, said?: JobStatus): Promise<void>;
}

/** A run whose intent was just committed: nothing submitted yet. */
export function newRun(n: RtNode, attempt: number, kind: Route, req: JobRequest): ClusterRun {
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
    running: false
  };
}
