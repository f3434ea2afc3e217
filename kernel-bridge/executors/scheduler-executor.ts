// What the Slurm, PBS and LSF executors hold alike: the cluster configuration, the command runner
// (a fake one in tests), the two time limits and the run folders of the jobs this process submitted.
import type { ClusterConfig } from './cluster-config.js';
import { describeCommand, runSchedulerCommand, type CommandResult, type CommandRunner } from './scheduler-command.js';
import { chunks } from './scheduler-text.js';

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
}
