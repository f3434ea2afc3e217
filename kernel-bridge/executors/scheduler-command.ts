// Runs one scheduler command-line tool (sbatch, squeue, qstat, bjobs, ...) with a time limit.
// Owns: spawning, the deadline, and a uniform result. It never throws and never retries: a command
// that hangs or cannot be started is reported as such, so callers can answer 'unknown' instead of
// 'failed' and leave back-off to whoever polls.
import { spawn, type ChildProcess } from 'node:child_process';

export interface CommandResult {
  /** True when the program ran and exited with status 0. */
  ok: boolean;
  /** Exit status; null when the program was killed or never started. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** The deadline passed and the whole process group was killed. */
  timedOut: boolean;
  /** Why the program could not be started (ENOENT, EACCES, ...). */
  spawnError?: string;
  /** Wall-clock milliseconds until the result was known. */
  elapsedMs: number;
}

export interface CommandOptions {
  timeoutMs?: number;
  /** Looked up at call time so a PATH changed later (tests, modules) is honoured. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** The seam executors use; tests may pass their own to record or fake calls. */
export type CommandRunner = (file: string, args: string[], options?: CommandOptions) => Promise<CommandResult>;

const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export const runSchedulerCommand: CommandRunner = (file, args, options = {}) => {
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const started = Date.now();
  return new Promise<CommandResult>(resolve => {
    let settled = false;
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let bytes = 0;
    const text = (parts: Buffer[]) => Buffer.concat(parts).toString('utf8');
    const finish = (r: Omit<CommandResult, 'elapsedMs' | 'stdout' | 'stderr'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, stdout: text(stdout), stderr: text(stderr), elapsedMs: Date.now() - started });
    };
    // spawn rather than execFile: the child must lead its own process group (detached), so that a
    // wrapper script hanging in `sleep` is killed together with the sleep, which would otherwise
    // hold our pipes open long after the deadline.
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        env: options.env ?? process.env,
        cwd: options.cwd,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true
      });
    } catch (err) {
      return finish({ ok: false, code: null, timedOut: false, spawnError: (err as Error).message });
    }
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= MAX_OUTPUT_BYTES) into.push(chunk);
    };
    child.stdout?.on('data', collect(stdout));
    child.stderr?.on('data', collect(stderr));
    const timer = setTimeout(() => {
      killGroup(child.pid);
      child.stdout?.destroy();
      child.stderr?.destroy();
      finish({ ok: false, code: null, timedOut: true });
    }, timeoutMs);
    child.on('error', (err: NodeJS.ErrnoException) => {
      finish({ ok: false, code: null, timedOut: false, spawnError: `${err.code ?? 'error'}: ${err.message}` });
    });
    child.on('close', (code, signal) => {
      if (bytes > MAX_OUTPUT_BYTES) {
        return finish({ ok: false, code, timedOut: false, spawnError: `output exceeded ${MAX_OUTPUT_BYTES} bytes` });
      }
      finish({ ok: code === 0, code: signal ? null : code, timedOut: false });
    });
  });
};

function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** One line for logs and error messages: what ran and how it ended. */
export function describeCommand(file: string, args: string[], r: CommandResult): string {
  const cmd = [file, ...args].join(' ');
  if (r.timedOut) return `'${cmd}' gave no answer within the time limit`;
  if (r.spawnError) return `'${cmd}' could not be run (${r.spawnError})`;
  const why = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' / ');
  return `'${cmd}' exited with status ${r.code}${why ? `: ${why}` : ''}`;
}

/** A scheduler command that failed, with the result that says how (its status, stdout, stderr). */
abstract class SchedulerCommandError extends Error {
  readonly result: CommandResult;
  protected constructor(name: string, message: string, result: CommandResult) {
    super(message);
    this.name = name;
    this.result = result;
  }
}

/** The scheduler could not be asked; the caller should try again later. */
export class SchedulerUnavailableError extends SchedulerCommandError {
  constructor(message: string, result: CommandResult) {
    super('SchedulerUnavailableError', message, result);
  }
}

/** The scheduler refused a request (bad partition, bad option, over a limit). Retrying will not help. */
export class SchedulerRejectedError extends SchedulerCommandError {
  constructor(message: string, result: CommandResult) {
    super('SchedulerRejectedError', message, result);
  }
}

/**
 * A submission whose outcome is not known: the command hung or its answer could not be read, so a
 * job may or may not exist. Never submit again blindly: look the job up by its name first.
 */
export class SubmitOutcomeUnknownError extends Error {
  readonly jobName: string;
  constructor(message: string, jobName: string) {
    super(message);
    this.name = 'SubmitOutcomeUnknownError';
    this.jobName = jobName;
  }
}

/**
 * The error for a submit command that gave no job id: not run at all (try later), hung or lost
 * its answer (`lostReply` matches the scheduler's words for that: look the job up by name
 * first), or refused (retrying will not help). One rule for every scheduler.
 */
export function submitFailure(
  cmd: string,
  args: string[],
  r: CommandResult,
  jobName: string,
  lostReply: RegExp,
  text = r.stderr
): Error {
  if (r.spawnError) return new SchedulerUnavailableError(describeCommand(cmd, args, r), r);
  if (r.timedOut || lostReply.test(text)) {
    return new SubmitOutcomeUnknownError(
      `${describeCommand(cmd, args, r)}; look for job name '${jobName}' before submitting again`,
      jobName
    );
  }
  return new SchedulerRejectedError(describeCommand(cmd, args, r), r);
}
