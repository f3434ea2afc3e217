// The local executor: a pool of bash job scripts on this machine that never uses more cores
// than it has. Jobs are started by a small resident bash "launcher" rather than by Node: a
// fork from the bridge's large process costs ~2 ms of its only thread, a fork from bash a
// fraction of that, and local throughput is bound by process creation. Jobs run in their own
// process group, so the pool can stop a job and everything it started, and they outlive a bridge
// that crashes; a restarted bridge finds them again through the run folder's pid and marker files.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { JobRequest } from './types.js';

export interface LocalPoolEvents {
  /** The job's process started. */
  started(req: JobRequest, pid: number): void;
  /** The job's process ended (read the run folder for the result); timedOut when the pool stopped it. */
  ended(req: JobRequest, exitCode: number | null, timedOut: boolean): void;
  /** The launcher died: these jobs go on, but their end must be found from their run folders. */
  lost(req: JobRequest): void;
  /** The job could not be started at all (its interpreter cannot be run): the message says why. */
  failed(req: JobRequest, error: string): void;
}

// Reads "<run folder>\t<job script>" lines; answers "S\t<folder>\t<pid>" at start and
// "E\t<folder>\t<exit code>" at the end of each job. Each job is a forked subshell that reads
// the job script (`.`) instead of executing a new bash: no exec, no dynamic linking, ~1 ms less
// per job. A watcher subshell with job control (set -m) starts it, so the job leads its own
// process group (its pid file names it: $BASHPID), waits for it and reports its exit code;
// the watcher stays outside that group, so stopping the job never silences its report.
const LAUNCHER = `
while IFS=$'\\t' read -r dir script; do
  ( set -m; cd "$dir" && { ( . "$script" ) </dev/null >/dev/null 2>&1 & wait $!; }; echo "E	$dir	$?" ) </dev/null 2>/dev/null &
  echo "S	$dir	$!"
done
`;

interface Running {
  req: JobRequest;
  pid: number;
  cores: number;
  timer?: LongTimer;
  timedOut: boolean;
  /** The launcher that started it: 'bash', or the Python of a fork server. */
  via: string;
  beforeBash?: () => void;
}

/** A Python task may start from a warm fork server of this interpreter (perqueue_lab.forkserver). */
export interface WarmPython {
  python: string;
  /** Folder the task runs in (the project folder). */
  workDir: string;
  env: NodeJS.ProcessEnv;
  /** Called before the job goes to bash instead (the fork server could not run): write its job script. */
  beforeBash?: () => void;
}

export class LocalPool {
  /** How long a stopped job gets between SIGTERM and SIGKILL. */
  static readonly KILL_GRACE_MS = 10_000;
  private readonly waiting: JobRequest[] = [];
  private readonly prepares = new Map<number, () => boolean>();
  private readonly warm = new Map<number, WarmPython>();
  /** Interpreters whose fork server could not run: their tasks go through bash. */
  private readonly coldPythons = new Set<string>();
  private readonly running = new Map<number, Running>();
  private readonly byDir = new Map<string, number>();
  private usedCores = 0;
  private readonly launchers = new Map<string, ChildProcessWithoutNullStreams>();
  private closed = false;

  constructor(
    readonly capacity: number,
    private readonly events: LocalPoolEvents,
  ) {}

  /**
   * Queue a job; it starts as soon as its cores are free. `prepare` (writing the run folder)
   * runs just before the start; when it returns false the job is dropped.
   */
  submit(req: JobRequest, prepare?: () => boolean, warm?: WarmPython): void {
    this.waiting.push(req);
    if (prepare) this.prepares.set(req.entryId, prepare);
    if (warm) this.warm.set(req.entryId, warm);
    this.pump();
  }

  /** Start the fork server of an interpreter before its first task arrives. */
  warmUp(warm: WarmPython): void {
    if (!this.closed && !this.coldPythons.has(warm.python)) this.ensureLauncher(warm.python, warm);
  }

  /** Jobs started by an earlier bridge still hold cores until they end. */
  adopt(entryId: number, cores: number): void {
    this.usedCores += cores;
    this.running.set(entryId, { req: null as unknown as JobRequest, pid: -1, cores, timedOut: false, via: 'adopted' });
  }

  release(entryId: number): void {
    const r = this.running.get(entryId);
    if (!r) return;
    this.forget(entryId, r);
    this.pump();
  }

  /** Drop a queued job or stop a running one (its whole process group). */
  cancel(entryId: number): void {
    const i = this.waiting.findIndex((r) => r.entryId === entryId);
    if (i >= 0) this.waiting.splice(i, 1);
    this.prepares.delete(entryId);
    this.warm.delete(entryId);
    const r = this.running.get(entryId);
    if (r && r.req) this.stop(r);
  }

  close(): void {
    this.closed = true;
    // Jobs not started stay queued in the store: whoever manages next starts them, not this pool.
    this.waiting.length = 0;
    this.prepares.clear();
    this.warm.clear();
    for (const l of this.launchers.values()) l.stdin.end();
  }

  get load(): { running: number; waiting: number; usedCores: number } {
    return { running: this.running.size, waiting: this.waiting.length, usedCores: this.usedCores };
  }

  private pump(): void {
    while (!this.closed && this.waiting.length > 0) {
      const next = this.waiting[0];
      // A task asking for more cores than the machine has still runs, alone.
      const cores = Math.min(next.resources.cores, this.capacity);
      if (this.usedCores + cores > this.capacity && this.running.size > 0) return;
      this.waiting.shift();
      const prepare = this.prepares.get(next.entryId);
      this.prepares.delete(next.entryId);
      if (prepare && !prepare()) continue;
      this.start(next, cores);
    }
  }

  private start(req: JobRequest, cores: number): void {
    const warm = this.warm.get(req.entryId);
    this.warm.delete(req.entryId);
    const via = warm && !this.coldPythons.has(warm.python) ? warm.python : 'bash';
    if (via === 'bash') warm?.beforeBash?.();
    const r: Running = { req, pid: -1, cores, timedOut: false, via, beforeBash: warm?.beforeBash };
    this.usedCores += cores;
    this.running.set(req.entryId, r);
    this.byDir.set(req.runDir, req.entryId);
    // The time limit: TERM the job's process group at tmax, KILL it if it lingers.
    r.timer = setLongTimeout(() => {
      r.timedOut = true;
      this.stop(r);
    }, req.resources.tmax * 1000);
    this.send(r, warm);
  }

  private send(r: Running, warm?: WarmPython): void {
    const line = r.via === 'bash' ? `${r.req.runDir}\t${r.req.jobScript}\n` : `${r.req.runDir}\t${r.req.workflowId}\n`;
    this.ensureLauncher(r.via, warm).stdin.write(line);
  }

  private stop(r: Running): void {
    // The job's bash leads its own process group once it has written its pid.
    const pid = readPid(r.req.runDir) ?? r.pid;
    if (pid <= 0) return;
    killGroup(pid, 'SIGTERM');
    setTimeout(() => killGroup(pid, 'SIGKILL'), LocalPool.KILL_GRACE_MS).unref();
  }

  private forget(entryId: number, r: Running): void {
    r.timer?.clear();
    this.running.delete(entryId);
    if (r.req) this.byDir.delete(r.req.runDir);
    this.usedCores -= r.cores;
  }

  private ensureLauncher(via: string, warm?: WarmPython): ChildProcessWithoutNullStreams {
    const existing = this.launchers.get(via);
    if (existing) return existing;
    const child =
      via === 'bash'
        ? spawn('bash', ['-c', LAUNCHER], { stdio: ['pipe', 'pipe', 'pipe'] })
        : spawn(via, ['-m', 'perqueue_lab.forkserver', warm!.workDir], { stdio: ['pipe', 'pipe', 'pipe'], env: warm!.env });
    this.launchers.set(via, child);
    createInterface({ input: child.stdout }).on('line', (line) => this.onLauncherLine(line));
    child.stderr.resume();
    child.stdin.on('error', () => {
      /* its exit is handled below */
    });
    child.on('error', (e) => {
      // A launcher that ran reports its end through 'exit'; one that could not be spawned at
      // all (no such interpreter, not executable) never does: fail the jobs it was given.
      if (child.pid === undefined) this.launcherFailed(via, child, e);
    });
    child.on('exit', () => {
      this.launchers.delete(via);
      if (this.closed) return;
      for (const [id, r] of [...this.running]) {
        if (!r.req || r.via !== via) continue;
        if (r.pid < 0 && via !== 'bash') {
          // The fork server never started it (cannot import perqueue_lab?): bash runs it instead.
          this.coldPythons.add(via);
          r.via = 'bash';
          r.beforeBash?.();
          this.send(r);
          continue;
        }
        // Jobs in flight keep running; the manager watches their run folders instead.
        this.forget(id, r);
        this.events.lost(r.req);
      }
      this.pump();
    });
    return child;
  }

  private launcherFailed(via: string, child: ChildProcessWithoutNullStreams, e: Error): void {
    if (this.launchers.get(via) === child) this.launchers.delete(via);
    if (this.closed) return;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : e.message;
    const error = `cannot start the interpreter '${via}' (${why}): check the workflow's python or the project's PQ_PYTHON`;
    for (const [id, r] of [...this.running]) {
      if (!r.req || r.via !== via || r.pid >= 0) continue;
      this.forget(id, r);
      this.events.failed(r.req, error);
    }
    this.pump();
  }

  private onLauncherLine(line: string): void {
    const [kind, dir, value] = line.split('\t');
    const entryId = this.byDir.get(dir);
    if (entryId === undefined) return;
    const r = this.running.get(entryId);
    if (!r) return;
    if (kind === 'S') {
      r.pid = Number(value);
      this.events.started(r.req, r.pid);
    } else if (kind === 'E') {
      this.forget(entryId, r);
      this.events.ended(r.req, Number(value), r.timedOut);
      this.pump();
    }
  }
}

/** The longest delay setTimeout takes; longer ones fire at once (Node clamps them to 1 ms). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface LongTimer {
  clear(): void;
}

/** setTimeout for any delay (a time limit of 25 days is over setTimeout's 24.8): re-armed in steps. Unref'd. */
export function setLongTimeout(fn: () => void, ms: number): LongTimer {
  const due = Date.now() + ms;
  let t: NodeJS.Timeout;
  const arm = () => {
    const left = due - Date.now();
    t = setTimeout(left > MAX_TIMEOUT_MS ? arm : fn, Math.max(0, Math.min(left, MAX_TIMEOUT_MS)));
    t.unref();
  };
  arm();
  return { clear: () => clearTimeout(t) };
}

/** The pid a job wrote into its run folder (which is also its claim), or null. */
export function readPid(runDir: string): number | null {
  try {
    const t = readFileSync(join(runDir, 'pid'), 'utf8').trim();
    return /^\d+$/.test(t) ? Number(t) : null;
  } catch {
    return null;
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
