// What the Slurm, PBS and LSF executors hold alike: the cluster configuration, the command runner
// (a fake one in tests), the two time limits and the run folders of the jobs this process submitted.
import type { ClusterConfig } from './cluster-config.js';
import { runSchedulerCommand, type CommandRunner } from './scheduler-command.js';

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
}
