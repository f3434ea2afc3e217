// The job request every way of running a job takes (local pool, Slurm, PBS, LSF), and the
// `Executor` interface the schedulers (Slurm, PBS, LSF) offer the manager's cluster part: submit,
// ask states, find jobs by name, cancel. The local pool (local.ts) is not an `Executor`: it starts
// jobs itself and reports their start and end as events, with no job ids to poll. Either runs a
// job script that the bridge wrote into a run folder; neither decides workflow logic.
import type { Resources } from '../../core/resources.js';

export interface JobRequest {
  entryId: number;
  workflowId: number;
  attempt: number;
  /** Unique and stable for (project, entry, attempt): used to find the job again after a crash. */
  jobName: string;
  /** Absolute run folder, named `<entry id>.<attempt>`; holds input.json and receives stdout/stderr/result/marker. */
  runDir: string;
  /**
   * Absolute path of the bash job script (shared by the entries of one task). Start it with the
   * run folder as its first argument, or with the run folder as its working directory.
   */
  jobScript: string;
  resources: Resources;
  /** Scheduler job ids this job must wait for (afterok); empty for the local pool. */
  dependsOn: string[];
  /** The task's processes left running at its normal end are not ended (task option `keepProcesses`). */
  keepProcesses?: boolean;
}

export type JobState =
  | 'pending'
  | 'running'
  | 'completed'
  | 'failed'
  | 'timed_out'
  | 'out_of_memory'
  | 'cancelled'
  | 'node_fail'
  /** The scheduler or its accounting could not be asked: try again later, never "failed". */
  | 'unknown';

export interface JobStatus {
  jobId: string;
  state: JobState;
  exitCode?: number;
  node?: string;
  /** Epoch milliseconds. */
  startedAt?: number;
  endedAt?: number;
  /** Scheduler's words, e.g. "TIMEOUT", "OUT_OF_MEMORY", "NodeFail". */
  reason?: string;
}

export interface Executor {
  readonly name: string;
  submit(req: JobRequest): Promise<{ jobId: string }>;
  /** States of the given jobs; a job the scheduler no longer knows is 'unknown' unless accounting says more. */
  status(jobIds: string[]): Promise<Map<string, JobStatus>>;
  /** Job ids of live or finished jobs carrying these names (reconciliation after a crash). */
  findByName(jobNames: string[]): Promise<Map<string, string>>;
  cancel(jobIds: string[]): Promise<void>;
  close?(): Promise<void>;
}
