// The local executor: a pool of bash job scripts on this machine that never uses more cores
// than it has. Jobs run detached (their own session), so they outlive a bridge that crashes;
// a restarted bridge finds them again through the run folder's pid and marker files.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { JobRequest } from './types.js';

export interface LocalPoolEvents {
  /** The job's process started. */
  started(req: JobRequest, pid: number): void;
  /** The job's process ended (read the run folder for the result); timedOut when the pool stopped it. */
  ended(req: JobRequest, exitCode: number | null, timedOut: boolean): void;
}

export class LocalPool {
  private readonly waiting: JobRequest[] = [];
  private readonly running = new Map<number, { req: JobRequest; pid: number; cores: number; timer?: NodeJS.Timeout }>();
  /** How long a stopped job gets between SIGTERM and SIGKILL. */
  static readonly KILL_GRACE_MS = 10_000;
  private usedCores = 0;

  constructor(
    readonly capacity: number,
    private readonly events: LocalPoolEvents,
  ) {}

  /** Queue a job; it starts as soon as its cores are free. */
  submit(req: JobRequest): void {
    this.waiting.push(req);
    this.pump();
  }

  /** Jobs started by an earlier bridge still hold cores until they end. */
  adopt(entryId: number, cores: number): void {
    this.usedCores += cores;
    this.running.set(entryId, { req: null as unknown as JobRequest, pid: -1, cores });
  }

  release(entryId: number): void {
    const r = this.running.get(entryId);
    if (!r) return;
    this.running.delete(entryId);
    this.usedCores -= r.cores;
    this.pump();
  }

  /** Drop a queued job or kill a running one (its whole process group). */
  cancel(entryId: number): void {
    const i = this.waiting.findIndex((r) => r.entryId === entryId);
    if (i >= 0) this.waiting.splice(i, 1);
    const r = this.running.get(entryId);
    if (r && r.pid > 0) {
      killGroup(r.pid, 'SIGTERM');
      setTimeout(() => killGroup(r.pid, 'SIGKILL'), LocalPool.KILL_GRACE_MS).unref();
    }
  }

  get load(): { running: number; waiting: number; usedCores: number } {
    return { running: this.running.size, waiting: this.waiting.length, usedCores: this.usedCores };
  }

  private pump(): void {
    while (this.waiting.length > 0) {
      const next = this.waiting[0];
      // A task asking for more cores than the machine has still runs, alone.
      const cores = Math.min(next.resources.cores, this.capacity);
      if (this.usedCores + cores > this.capacity && this.running.size > 0) return;
      this.waiting.shift();
      this.start(next, cores);
    }
  }

  private start(req: JobRequest, cores: number): void {
    const child = spawn('bash', [req.jobScript], { cwd: req.runDir, detached: true, stdio: 'ignore' });
    this.usedCores += cores;
    const pid = child.pid ?? -1;
    let timedOut = false;
    // The time limit: TERM the job's process group at tmax, KILL it if it lingers.
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(pid, 'SIGTERM');
      setTimeout(() => killGroup(pid, 'SIGKILL'), LocalPool.KILL_GRACE_MS).unref();
    }, req.resources.tmax * 1000);
    timer.unref();
    this.running.set(req.entryId, { req, pid, cores, timer });
    child.on('error', () => {
      /* reported through 'exit' with a null code */
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      this.running.delete(req.entryId);
      this.usedCores -= cores;
      this.events.ended(req, code, timedOut);
      this.pump();
    });
    child.unref();
    if (pid > 0) this.events.started(req, pid);
  }
}

export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process whose parent has not reaped it yet still answers signal 0: a zombie is dead.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true;
  }
}
