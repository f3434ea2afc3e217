// What the Slurm, PBS and LSF executors hold alike: the cluster configuration, the command runner
// (a fake one in tests), the two time limits and the run folders of the jobs this process submitted;
// and what they do alike: submit one job and read its id, ask a status tool in chunks, and turn the
// records it lists into statuses (a job it does not list is 'unknown', saying why).
import type { ClusterConfig } from './cluster-config.js';
import {
  describeCommand,
  runSchedulerCommand,
  submitFailure,
  SubmitOutcomeUnknownError,
  type CommandResult,
  type CommandRunner
} from './scheduler-command.js';
import { chunks, unique } from './scheduler-text.js';
import type { JobRequest, JobStatus } from './types.js';

export interface SchedulerExecutorOptions {
  config?: ClusterConfig;
  run?: CommandRunner;
  /** For the status, lookup and cancel commands. */
  commandTimeoutMs?: number;
  /** The submit command may wait on a busy controller; a longer limit avoids needless "outcome unknown". */
  submitTimeoutMs?: number;
}

export abstract class SchedulerExecutor {
  protected readonly config: ClusterConfig;
  protected readonly run: CommandRunner;
  protected readonly timeoutMs: number;
  protected readonly submitTimeoutMs: number;
  /** Run folders of jobs submitted by this process, to read stderr without asking the scheduler. */
  protected readonly runDirs = new Map<string, string>();

  protected constructor(scheduler: ClusterConfig['scheduler'], options: SchedulerExecutorOptions) {
    this.config = options.config ?? { scheduler, nodes: [] };
    this.run = options.run ?? runSchedulerCommand;
    this.timeoutMs = options.commandTimeoutMs ?? 30_000;
    this.submitTimeoutMs = options.submitTimeoutMs ?? 60_000;
  }

  /**
   * Submits `req` with `tool args`. A successful call must print the job id (`parseId` reads it),
   * else the outcome is unknown: the job may exist. The run folder is kept under `key(jobId)`. A
   * failed call is a rejection, or of unknown outcome when what it said (`said`) matches `lostReply`.
   */
  protected async submitWith(
    tool: string,
    args: string[],
    req: JobRequest,
    parseId: (stdout: string) => string | undefined,
    lostReply: RegExp,
    { key = (id: string) => id, said }: { key?: (jobId: string) => string; said?: (r: CommandResult) => string } = {}
  ): Promise<{ jobId: string }> {
    const r = await this.run(tool, args, { timeoutMs: this.submitTimeoutMs });
    if (r.ok) {
      const jobId = parseId(r.stdout);
      if (!jobId)
        throw new SubmitOutcomeUnknownError(`${tool} answered without a job id: '${r.stdout.trim()}'`, req.jobName);
      this.runDirs.set(key(jobId), req.runDir);
      return { jobId };
    }
    throw submitFailure(tool, args, r, req.jobName, lostReply, said?.(r));
  }

  /**
   * Asks the status tool about `ids`, a chunk at a time, handing each answer to `read` (PBS and LSF
   * exit non-zero as soon as one id is unknown, yet still print the others). Returns what went
   * wrong, if anything: a call that hung or could not start, or stderr lines that are not `harmless`.
   */
  protected async askInChunks(
    tool: string,
    ids: string[],
    argsFor: (part: string[]) => string[],
    harmless: (line: string) => boolean,
    read: (r: CommandResult) => void
  ): Promise<string | undefined> {
    let problem: string | undefined;
    for (const part of chunks(ids)) {
      const args = argsFor(part);
      const r = await this.run(tool, args, { timeoutMs: this.timeoutMs });
      if (r.timedOut || r.spawnError) {
        problem = describeCommand(tool, args, r);
        continue;
      }
      read(r);
      const other = r.stderr.split('\n').filter(l => l.trim() && !harmless(l));
      if (!r.ok && other.length > 0) problem = describeCommand(tool, args, r);
    }
    return problem;
  }

  /**
   * The status of each of `jobIds` from the records a status tool lists when asked in chunks (see
   * askInChunks). `read` takes one answer's records, by `key`, and the keys it says it no longer
   * knows. A job without a record is 'unknown': `forgotten` when the tool said so, else why not.
   */
  protected async statusFromRecords<R>(
    tool: string,
    jobIds: string[],
    c: {
      argsFor: (part: string[]) => string[];
      harmless: (line: string) => boolean;
      read: (r: CommandResult, records: Map<string, R>, gone: Set<string>) => void;
      key?: (jobId: string) => string;
      forgotten: string;
      toStatus: (jobId: string, record: R) => Promise<JobStatus>;
    }
  ): Promise<Map<string, JobStatus>> {
    const key = c.key ?? ((id: string) => id);
    const ids = unique(jobIds);
    const records = new Map<string, R>();
    const gone = new Set<string>();
    const problem = await this.askInChunks(tool, ids, c.argsFor, c.harmless, r => c.read(r, records, gone));
    const out = new Map<string, JobStatus>();
    for (const id of ids) {
      const record = records.get(key(id));
      if (record !== undefined) {
        out.set(id, await c.toStatus(id, record));
        continue;
      }
      const reason = gone.has(key(id)) ? c.forgotten : (problem ?? `${tool} did not list this job`);
      out.set(id, { jobId: id, state: 'unknown', reason });
    }
    return out;
  }
}
